#include "pipeline/top_k.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>

namespace wordfreq {

namespace {

// Where the first k of n end (n itself for "every word").
std::size_t limit(std::size_t k, std::size_t n) { return k == 0 ? n : std::min(k, n); }

}  // namespace

std::vector<WordCount> top_of(const WordTable& table, std::size_t k) {
  // Rank views of the words, and copy out only the winners.
  std::vector<WordTable::Entry> ranked;
  ranked.reserve(table.size());
  table.for_each([&](const WordTable::Entry& e) { ranked.push_back(e); });
  const std::size_t n = limit(k, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n), ranked.end(),
                    [](const WordTable::Entry& a, const WordTable::Entry& b) {
                      return ranks_before(a.count, a.word, b.count, b.word);
                    });
  std::vector<WordCount> top;
  top.reserve(n);
  for (std::size_t i = 0; i < n; ++i) top.push_back({std::string(ranked[i].word), ranked[i].count});
  return top;
}

void TopK::add(std::vector<WordCount> words) {
  if (words_.empty()) {
    words_ = std::move(words);
  } else {
    words_.insert(words_.end(), std::make_move_iterator(words.begin()),
                  std::make_move_iterator(words.end()));
  }
  // Trimmed only once it holds twice what it keeps: linear time overall.
  if (k_ != 0 && words_.size() > 2 * k_) trim();
}

std::vector<WordCount> TopK::take() && {
  trim();
  return std::move(words_);
}

void TopK::trim() {
  const std::size_t n = limit(k_, words_.size());
  std::partial_sort(words_.begin(), words_.begin() + static_cast<std::ptrdiff_t>(n), words_.end(),
                    [](const WordCount& a, const WordCount& b) { return ranks_before(a, b); });
  words_.resize(n);
}

}  // namespace wordfreq
