#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/word_table.hpp"

namespace wordfreq {

/// A word and how often it occurs: a line of the output. A plain value.
struct WordCount {
  std::string word;
  std::uint64_t count = 0;

  friend bool operator==(const WordCount&, const WordCount&) = default;
};

/// The output order: count descending, then word ascending, bytewise (as
/// `LC_ALL=C sort -k1,1nr -k2,2`). A total order on distinct words, which
/// is what makes the top K of a table well defined, and the union of the
/// shards' top K sure to hold the global top K.
constexpr bool ranks_before(std::uint64_t count_a, std::string_view word_a, std::uint64_t count_b,
                            std::string_view word_b) noexcept {
  return count_a != count_b ? count_a > count_b : word_a < word_b;
}
inline bool ranks_before(const WordCount& a, const WordCount& b) noexcept {
  return ranks_before(a.count, a.word, b.count, b.word);
}

/// The first `k` words of `table` in output order (every word if `k` is 0).
/// Sorts only what it returns: O(n log k).
std::vector<WordCount> top_of(const WordTable& table, std::size_t k);

/// The final merge: takes the top-K lists of the shards, in any number and
/// order, and keeps the global top K. Since the shards count disjoint sets
/// of words, the global top K is among their top Ks. Owned by the task
/// that merges; not thread-safe.
class TopK {
 public:
  /// Keeps `k` words (every word if `k` is 0).
  explicit TopK(std::size_t k) : k_(k) {}

  /// Adds the words of one shard's list.
  void add(std::vector<WordCount> words);
  /// The top K, in output order.
  std::vector<WordCount> take() &&;

 private:
  void trim();

  std::size_t k_;
  std::vector<WordCount> words_;
};

}  // namespace wordfreq
