#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace wordfreq {

/// Storage for the bytes of words that must outlive their input: blocks of
/// 64 KiB filled one after the other, so that storing a word is a copy, not
/// an allocation, and a stored word never moves. Owned by one WordTable;
/// not thread-safe.
class KeyArena {
 public:
  /// A stable copy of `word`, valid until clear() or destruction.
  std::string_view store(std::string_view word);
  /// Forgets every word and frees the blocks.
  void clear() noexcept;
  /// Bytes held in blocks (for memory accounting).
  std::size_t reserved_bytes() const noexcept { return reserved_; }

 private:
  static constexpr std::size_t kBlockSize = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
  std::size_t reserved_ = 0;
};

/// Counts per word: an open-addressing hash table (linear probing, at most
/// half full) whose lookups take a string_view and the word's precomputed
/// hash, so that counting a word allocates nothing and hashes nothing.
///
/// A slot holds the whole entry (hash, key, count), so a lookup touches
/// one cache line, not a slot and then an entry elsewhere: lookups are
/// what a tokenizer worker spends most of its time on. A list of the slots
/// in use, in insertion order, makes iterating and clearing cost the number
/// of words, not the capacity.
///
/// Keys are either borrowed (the caller keeps the bytes alive until
/// clear(), as a tokenizer worker does with its chunk) or copied into the
/// table's own KeyArena (as a counter shard does). Owned by one task or
/// actor; not thread-safe.
class WordTable {
 public:
  enum class Keys { kBorrowed, kOwned };

  /// One word and its count, as for_each hands them out.
  struct Entry {
    std::string_view word;
    std::uint64_t hash;
    std::uint64_t count;
  };

  explicit WordTable(Keys keys) noexcept : keys_(keys) {}

  /// Adds `count` to `word`'s count (inserting it at 0 first). `hash` must
  /// be hash_word(word). Throws std::length_error past 2^32 - 1 words.
  void add(std::string_view word, std::uint64_t hash, std::uint64_t count);
  /// The count of `word` (0 if absent).
  std::uint64_t count(std::string_view word) const noexcept;

  /// Distinct words.
  std::size_t size() const noexcept { return order_.size(); }
  bool empty() const noexcept { return order_.empty(); }

  /// Calls `f(const Entry&)` for every word, in insertion order.
  template <class F>
  void for_each(F&& f) const {
    for (const std::uint32_t i : order_) {
      const Slot& s = slots_[i];
      f(Entry{std::string_view(s.key, s.size), s.hash, s.count});
    }
  }

  /// Removes every word; keeps the capacity (a worker's table is refilled
  /// for every chunk).
  void clear() noexcept;

 private:
  struct Slot {
    std::uint64_t hash;
    const char* key;  // nullptr: empty
    std::size_t size;
    std::uint64_t count;
  };

  const Slot& find(std::string_view word, std::uint64_t hash) const noexcept;
  void grow();

  Keys keys_;
  std::vector<Slot> slots_;           // a power of two in size, or empty
  std::vector<std::uint32_t> order_;  // the slots in use, in insertion order
  KeyArena arena_;
};

}  // namespace wordfreq
