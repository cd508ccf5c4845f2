#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "pipeline/chunk.hpp"
#include "pipeline/word_batch.hpp"
#include "pipeline/word_table.hpp"

namespace wordfreq {

/// Which of `shards` counter shards counts the word with this hash: the
/// high half of the hash scaled to [0, shards) (a multiply and a shift, no
/// division). Hash tables use the low bits, so the two stay independent.
constexpr std::size_t shard_of(std::uint64_t hash, std::size_t shards) noexcept {
  return static_cast<std::size_t>(((hash >> 32) * static_cast<std::uint64_t>(shards)) >> 32);
}

/// What a tokenizer worker makes of one chunk: the counts of its words,
/// as one batch per counter shard (`batches[i]` goes to shard i; some may
/// be empty). A plain value, moved from stage to stage.
struct Tally {
  std::vector<WordBatch> batches;
  /// Bytes of the chunk it was made from.
  std::size_t bytes = 0;
  /// Words in the chunk (occurrences).
  std::uint64_t words = 0;

  /// True if the chunk had no word at all (digits, blank lines, binary).
  bool empty() const noexcept { return words == 0; }
};

/// A tokenizer worker's reusable state: counts the words of a chunk in a
/// table of its own before anything is sent, so that a word repeated in a
/// chunk travels to its shard once, with its count. Owned by one worker
/// task; not thread-safe.
class Tallier {
 public:
  /// Throws std::invalid_argument if `shards` is 0.
  explicit Tallier(std::size_t shards);

  /// Tokenizes `chunk` (lowercasing it in place) and counts its words.
  Tally tally(Chunk& chunk);

 private:
  std::size_t shards_;
  WordTable table_{WordTable::Keys::kBorrowed};  // keys point into the chunk
};

}  // namespace wordfreq
