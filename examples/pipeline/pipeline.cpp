#include "pipeline/pipeline.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>
#include <utility>

#include <troupe/actor/mailbox_options.hpp>
#include <troupe/actor/spawn_options.hpp>
#include <troupe/channels/channel.hpp>
#include <troupe/channels/stream/filter.hpp>
#include <troupe/channels/stream/fold.hpp>
#include <troupe/channels/stream/for_each.hpp>
#include <troupe/channels/stream/map.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

#include "pipeline/counter_shard.hpp"
#include "pipeline/tally.hpp"

namespace wordfreq {

namespace {

using Shards = std::vector<troupe::ActorRef<CounterShard>>;

// Hands each batch of a tally to its shard. `co_await send` waits while
// the shard's mailbox is full: this is where a slow shard holds a worker
// back (and, through the worker, the reader).
troupe::Task<void> deliver(const Shards& shards, Tally tally) {
  for (std::size_t i = 0; i < shards.size(); ++i) {
    if (tally.batches[i].empty()) continue;
    const troupe::TellStatus status = co_await shards[i].send(std::move(tally.batches[i]));
    if (status != troupe::TellStatus::kQueued) {
      throw std::runtime_error("wordfreq: a counter shard stopped while counting");
    }
  }
}

// A tokenizer worker: chunks in, one batch per shard out, until the channel
// is closed (the reader is done) and drained. The channel's receiver is a
// stream, so the stage reads as what it does: count each chunk, skip those
// without a word, deliver the rest. for_each takes the next chunk only once
// the last tally is delivered, so a worker never holds more than one.
// (The stream is built into a named Task, then awaited: g++ 12 mishandles
// some temporaries inside a co_await expression; see collect.)
troupe::Task<void> tokenize(troupe::Receiver<Chunk> chunks, Shards shards, PipelineStats& stats) {
  Tallier tallier(shards.size());
  troupe::Task<void> stage =
      std::move(chunks)  //
      | troupe::stream::map([&](Chunk chunk) {
          Tally tally = tallier.tally(chunk);
          stats.bytes_counted.fetch_add(tally.bytes, std::memory_order_relaxed);
          return tally;
        }) |
      troupe::stream::filter([](const Tally& tally) { return !tally.empty(); }) |
      troupe::stream::for_each([&](Tally tally) { return deliver(shards, std::move(tally)); });
  co_await std::move(stage);
}

// The shards' reports, merged as they arrive.
struct Merged {
  TopK top;
  std::uint64_t words = 0;
  std::uint64_t distinct = 0;
  std::size_t reports = 0;
};

// Asks every shard for its top `k` and merges the answers. Called once all
// the workers are done: every batch is then in a mailbox, ahead of the
// Collect (it was queued before the worker that sent it finished).
troupe::Task<PipelineResult> collect(const Shards& shards, std::size_t k) {
  auto channel = troupe::channel::bounded<ShardReport>(shards.size());
  troupe::Sender<ShardReport> reply = std::move(channel.first);
  for (const auto& shard : shards) {
    // A shard that is gone drops the message, and with it its Sender.
    // A named message, not a braced temporary inside the co_await: g++ 12
    // destroys such an aggregate temporary twice (its Sender with it).
    Collect request{k, reply};
    const troupe::TellStatus status = co_await shard.send(std::move(request));
    (void)status;
  }
  {
    // Now only the Collect messages hold Senders: the channel closes (and
    // the fold below ends) once every shard has answered.
    troupe::Sender<ShardReport> drop = std::move(reply);
  }
  Merged init{TopK(k)};
  troupe::Task<Merged> merging = std::move(channel.second)  //
                                 |
                                 troupe::stream::fold(std::move(init), [](Merged m, ShardReport r) {
                                   m.top.add(std::move(r.top));
                                   m.words += r.words;
                                   m.distinct += r.distinct;
                                   ++m.reports;
                                   return m;
                                 });
  Merged merged = co_await std::move(merging);
  if (merged.reports != shards.size()) {
    throw std::runtime_error("wordfreq: a counter shard stopped before it reported");
  }
  PipelineResult result;
  result.top = std::move(merged.top).take();
  result.words = merged.words;
  result.distinct = merged.distinct;
  co_return result;
}

// Runs the workers to the end, then the final merge. On a worker's failure
// the channel is closed, so that the reader and the other workers stop too,
// and the failure is rethrown once they have.
troupe::Task<PipelineResult> coordinate(troupe::Receiver<Chunk> chunks, Shards shards,
                                        PipelineOptions options, PipelineStats& stats) {
  std::vector<troupe::JoinHandle<void>> workers;
  workers.reserve(options.workers);
  for (std::size_t i = 0; i < options.workers; ++i) {
    workers.push_back(troupe::spawn(tokenize(chunks, shards, stats)));
  }
  std::exception_ptr failure;
  for (auto& worker : workers) {
    try {
      co_await worker;
    } catch (...) {
      if (!failure) failure = std::current_exception();
      chunks.close();
    }
  }
  if (failure) std::rethrow_exception(failure);
  PipelineResult result = co_await collect(shards, options.top);
  co_return result;
}

std::size_t hardware_threads() {
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace

PipelineOptions resolve(PipelineOptions options) {
  if (options.workers == 0) options.workers = hardware_threads();
  if (options.shards == 0) options.shards = hardware_threads();
  if (options.read_ahead == 0) options.read_ahead = 2 * options.workers;
  options.chunk_size = std::max<std::size_t>(options.chunk_size, 1);
  options.mailbox_capacity = std::max<std::size_t>(options.mailbox_capacity, 1);
  return options;
}

PipelineResult count_words(troupe::ActorSystem& system, const std::vector<std::string>& inputs,
                           const PipelineOptions& requested, PipelineStats& stats,
                           const InputErrorHandler& on_error) {
  const PipelineOptions options = resolve(requested);

  Shards shards;
  struct StopShards {
    Shards& shards;
    ~StopShards() {
      for (const auto& shard : shards) shard.stop();
    }
  } stop_shards{shards};
  const troupe::SpawnOptions shard_spawn{troupe::MailboxOptions::bounded(options.mailbox_capacity)};
  for (std::size_t i = 0; i < options.shards; ++i) {
    shards.push_back(system.spawn_with<CounterShard>(shard_spawn));
  }

  auto channel = troupe::channel::bounded<Chunk>(options.read_ahead);
  const troupe::Receiver<Chunk> chunks = std::move(channel.second);

  // The reader owns the only Sender: when it is done, the channel closes
  // and the workers end once they have drained it.
  std::size_t failed_inputs = 0;
  std::exception_ptr reader_failure;
  std::thread reader(
      [&](troupe::Sender<Chunk> out) {
        try {
          failed_inputs = read_inputs(inputs, out, options.chunk_size, stats, on_error);
        } catch (...) {
          reader_failure = std::current_exception();
          out.close();
        }
      },
      std::move(channel.first));

  PipelineResult result;
  try {
    result = system.block_on(coordinate(chunks, shards, options, stats));
  } catch (...) {
    chunks.close();  // the reader may be waiting for room nobody will make
    reader.join();
    throw;
  }
  reader.join();
  if (reader_failure) std::rethrow_exception(reader_failure);
  result.bytes = stats.bytes_read.load(std::memory_order_relaxed);
  result.failed_inputs = failed_inputs;
  return result;
}

}  // namespace wordfreq
