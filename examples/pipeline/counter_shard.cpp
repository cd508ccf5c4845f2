#include "pipeline/counter_shard.hpp"

#include <string_view>

namespace wordfreq {

void CounterShard::handle(const WordBatch& batch) {
  batch.for_each([this](std::string_view word, std::uint64_t hash, std::uint64_t count) {
    table_.add(word, hash, count);
  });
  words_ += batch.total();
}

void CounterShard::handle(const Collect& request) {
  ShardReport report{top_of(table_, request.k), words_, table_.size()};
  // The collector's channel has room for every shard's report: this never
  // waits, and it fails only if the collector is gone (then nobody cares).
  (void)request.reply.try_send(std::move(report));
}

}  // namespace wordfreq
