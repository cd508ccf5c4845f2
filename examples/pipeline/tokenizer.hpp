#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wordfreq {

/// What the tokenizer makes of each byte, as one table: an ASCII letter maps
/// to its lowercase form, every other byte to 0, a separator. Digits,
/// punctuation, whitespace, NUL and every byte of a UTF-8 sequence (all of
/// them >= 0x80) separate words, exactly as `tr -cs 'A-Za-z' '\n'` does in
/// the C locale.
inline constexpr std::array<char, 256> kFoldedLetter = [] {
  std::array<char, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = static_cast<char>(c + 32);
  return table;
}();

/// The lowercase letter for byte `c`, or 0 if `c` separates words.
constexpr char fold_letter(char c) noexcept { return kFoldedLetter[static_cast<unsigned char>(c)]; }

/// The hash of a word, computed a byte at a time while the tokenizer scans
/// it (FNV-1a), then mixed (the MurmurHash3 finalizer) so that both ends
/// are usable: the low bits pick a hash table slot, the high bits a shard.
/// A plain value; the same word always hashes the same, on any thread.
class WordHash {
 public:
  constexpr void add(char c) noexcept {
    state_ = (state_ ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  }
  constexpr std::uint64_t finish() const noexcept {
    std::uint64_t h = state_;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
  }

 private:
  std::uint64_t state_ = 0xcbf29ce484222325ULL;
};

/// The hash for_each_word gives `word` (already lowercase).
constexpr std::uint64_t hash_word(std::string_view word) noexcept {
  WordHash h;
  for (char c : word) h.add(c);
  return h.finish();
}

/// Calls `on_word(word, hash)` for each word of `text` in order: each
/// maximal run of ASCII letters, lowercased in place (so `word` points into
/// `text`, and no word is ever copied or allocated). The end of `text` ends
/// a word: callers cut their input only at separators (see cut_point).
template <class OnWord>
void for_each_word(std::span<char> text, OnWord&& on_word) {
  char* p = text.data();
  char* const end = p + text.size();
  while (p != end) {
    char c = fold_letter(*p);
    if (c == 0) {
      ++p;
      continue;
    }
    char* const start = p;
    WordHash hash;
    do {
      *p = c;
      hash.add(c);
      ++p;
    } while (p != end && (c = fold_letter(*p)) != 0);
    on_word(std::string_view(start, static_cast<std::size_t>(p - start)), hash.finish());
  }
}

}  // namespace wordfreq
