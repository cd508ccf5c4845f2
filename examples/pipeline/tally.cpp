#include "pipeline/tally.hpp"

#include <stdexcept>

#include "pipeline/tokenizer.hpp"

namespace wordfreq {

Tallier::Tallier(std::size_t shards) : shards_(shards) {
  if (shards == 0) throw std::invalid_argument("wordfreq::Tallier: at least one shard is needed");
}

Tally Tallier::tally(Chunk& chunk) {
  Tally out;
  out.bytes = chunk.size();
  for_each_word(chunk.bytes(), [&](std::string_view word, std::uint64_t hash) {
    table_.add(word, hash, 1);
    ++out.words;
  });
  if (table_.empty()) return out;

  out.batches.resize(shards_);
  // An even share each, on average: one allocation per batch, not a few
  // growths.
  const std::size_t per_shard = table_.size() / shards_ + 16;
  for (WordBatch& b : out.batches) b.reserve(per_shard, per_shard * 8);
  table_.for_each([&](const WordTable::Entry& e) {
    out.batches[shard_of(e.hash, shards_)].add(e.word, e.hash, e.count);
  });
  // The table's keys point into the chunk: it is emptied before the chunk
  // goes.
  table_.clear();
  return out;
}

}  // namespace wordfreq
