#pragma once

// A deliberately simple word counter, the yardstick for the tests: one
// byte at a time, a std::map, no hashing, no chunks.

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/top_k.hpp"

namespace wordfreq::testing {

inline std::map<std::string, std::uint64_t> reference_counts(std::string_view text) {
  std::map<std::string, std::uint64_t> counts;
  std::string word;
  for (const char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      word += static_cast<char>(c | 0x20);
    } else if (!word.empty()) {
      ++counts[word];
      word.clear();
    }
  }
  if (!word.empty()) ++counts[word];
  return counts;
}

// The top `k` (0: all) of `counts`, in output order.
inline std::vector<WordCount> reference_top(const std::map<std::string, std::uint64_t>& counts,
                                            std::size_t k) {
  std::vector<WordCount> all;
  for (const auto& entry : counts) all.push_back({entry.first, entry.second});
  std::stable_sort(all.begin(), all.end(),
                   [](const WordCount& a, const WordCount& b) { return a.count > b.count; });
  if (k != 0 && all.size() > k) all.resize(k);
  return all;
}

}  // namespace wordfreq::testing
