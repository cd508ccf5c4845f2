#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wordfreq {

/// Words with their counts, bound for one counter shard: the message a
/// tokenizer worker sends, one per shard per chunk (never one per word).
/// The words' bytes are packed into one string, so a batch is two
/// allocations however many words it carries, and each word comes with its
/// hash so that the shard does not hash it again.
///
/// A plain value: owned by the worker that fills it, then moved into the
/// shard's mailbox. Not thread-safe.
class WordBatch {
 public:
  /// Room for `words` words of `bytes` bytes in all.
  void reserve(std::size_t words, std::size_t bytes) {
    entries_.reserve(words);
    text_.reserve(bytes);
  }
  void add(std::string_view word, std::uint64_t hash, std::uint64_t count) {
    entries_.push_back(Entry{text_.size(), word.size(), hash, count});
    text_.append(word);
    total_ += count;
  }

  /// Calls `f(word, hash, count)` for each word, in the order added.
  template <class F>
  void for_each(F&& f) const {
    for (const Entry& e : entries_)
      f(std::string_view(text_).substr(e.offset, e.size), e.hash, e.count);
  }

  /// Distinct words.
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  /// Occurrences: the sum of the counts.
  std::uint64_t total() const noexcept { return total_; }

 private:
  struct Entry {
    std::size_t offset;
    std::size_t size;
    std::uint64_t hash;
    std::uint64_t count;
  };
  std::string text_;
  std::vector<Entry> entries_;
  std::uint64_t total_ = 0;
};

}  // namespace wordfreq
