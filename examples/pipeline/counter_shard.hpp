#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <troupe/actor/actor.hpp>
#include <troupe/channels/sender.hpp>

#include "pipeline/top_k.hpp"
#include "pipeline/word_batch.hpp"
#include "pipeline/word_table.hpp"

namespace wordfreq {

/// What a counter shard answers a Collect with: its top words, and its
/// totals. A plain value.
struct ShardReport {
  std::vector<WordCount> top;
  /// Occurrences counted by the shard.
  std::uint64_t words = 0;
  /// Distinct words counted by the shard.
  std::uint64_t distinct = 0;
};

/// "Send me your top `k` words (every word if 0)", sent once every batch
/// has been sent (with `co_await ref.send(...)`, waiting for room like the
/// batches before it). The answer goes into `reply`, one channel shared by
/// every shard, rather than back as the reply of an ask, so the collector
/// takes the answers in the order they come. Dropping the message (the
/// shard handled it, or it was refused) drops its Sender, so the
/// collector's channel closes once every shard is done with it.
struct Collect {
  std::size_t k = 0;
  troupe::Sender<ShardReport> reply;
};

/// A counter actor: owns the counts of the words whose hash falls in its
/// shard (see shard_of), so no two shards ever count the same word and no
/// lock is needed anywhere. Its mailbox is bounded with backpressure (see
/// Pipeline): a worker that outruns it waits in `co_await ref.send(batch)`.
/// Like every actor, it handles one message at a time.
class CounterShard : public troupe::Actor<CounterShard> {
 public:
  /// Adds a batch's counts.
  void handle(const WordBatch& batch);
  /// Sends its top words and totals into the request's channel.
  void handle(const Collect& request);

 private:
  WordTable table_{WordTable::Keys::kOwned};
  std::uint64_t words_ = 0;
};

}  // namespace wordfreq
