#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::bench {

/// One integer parameter a case accepts, with its default and its range.
/// The range turns a nonsensical value (capacity=0, producers=-1) into a
/// usage error before anything runs, instead of an exception halfway.
struct KeySpec {
  std::string_view name;
  std::int64_t fallback;
  std::int64_t min = 0;
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

/// The key every case takes: the runtime's worker threads (default: one
/// per hardware thread, as the spec asks).
KeySpec workers_key();

/// The parameters of one run: a case's defaults with the command line's
/// overrides applied, every value checked against its KeySpec.
class Params {
 public:
  /// Throws UsageError for a key the case does not know, a value that is
  /// not a decimal integer, or one out of range.
  static Params resolve(const std::vector<KeySpec>& keys,
                        const std::vector<std::pair<std::string, std::string>>& overrides);

  /// The value of `key`, which must be one of the case's keys (asking for
  /// another one is a bug in the case: std::logic_error).
  std::int64_t get(std::string_view key) const;
  /// get() for counts and sizes: the ranges keep them non-negative.
  std::size_t get_size(std::string_view key) const { return static_cast<std::size_t>(get(key)); }
  std::size_t workers() const { return get_size("workers"); }

 private:
  std::map<std::string, std::int64_t, std::less<>> values_;
};

}  // namespace troupe::bench
