#include "params.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <thread>

#include "command_line.hpp"

namespace troupe::bench {

KeySpec workers_key() {
  const auto hw = static_cast<std::int64_t>(std::thread::hardware_concurrency());
  return {.name = "workers", .fallback = std::max<std::int64_t>(hw, 1), .min = 1, .max = 1024};
}

Params Params::resolve(const std::vector<KeySpec>& keys,
                       const std::vector<std::pair<std::string, std::string>>& overrides) {
  Params p;
  for (const auto& k : keys) p.values_.emplace(std::string(k.name), k.fallback);
  for (const auto& [key, text] : overrides) {
    const auto spec = std::find_if(keys.begin(), keys.end(),
                                   [&key = key](const KeySpec& k) { return k.name == key; });
    if (spec == keys.end()) throw UsageError("unknown key '" + key + "' for this case");
    std::int64_t v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || ptr != end) {
      throw UsageError("bad value '" + text + "' for " + key + " (want a decimal integer)");
    }
    if (v < spec->min || v > spec->max) {
      throw UsageError(key + "=" + text + " is out of range [" + std::to_string(spec->min) + ", " +
                       std::to_string(spec->max) + "]");
    }
    p.values_[key] = v;
  }
  return p;
}

std::int64_t Params::get(std::string_view key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) {
    throw std::logic_error("troupe-bench: the case asked for undeclared key '" + std::string(key) +
                           "'");
  }
  return it->second;
}

}  // namespace troupe::bench
