#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <troupe/actor/actor_system.hpp>

#include "pipeline/reader.hpp"
#include "pipeline/stats.hpp"
#include "pipeline/top_k.hpp"

namespace wordfreq {

/// How a pipeline is built. A zero asks for the default, which fits the
/// machine. A plain value.
struct PipelineOptions {
  /// Words in the result (0: every word).
  std::size_t top = 10;
  /// Tokenizer worker tasks (0: one per hardware thread).
  std::size_t workers = 0;
  /// Counter shard actors (0: one per hardware thread).
  std::size_t shards = 0;
  /// About how many bytes the reader puts in a chunk. Larger chunks mean
  /// fewer messages and more repeats folded into one count per chunk;
  /// 256 KiB measured best (README.md).
  std::size_t chunk_size = 256 * 1024;
  /// Chunks the reader may be ahead of the workers: the capacity of the
  /// channel between them (0: two per worker).
  std::size_t read_ahead = 0;
  /// Batches a counter shard's mailbox holds before senders wait.
  std::size_t mailbox_capacity = 8;
};

/// The options with every default filled in (what a run actually uses).
PipelineOptions resolve(PipelineOptions options);

/// What a pipeline found. A plain value.
struct PipelineResult {
  /// The top words, in output order (count descending, then word).
  std::vector<WordCount> top;
  /// Occurrences of words, and distinct words, in all the inputs.
  std::uint64_t words = 0;
  std::uint64_t distinct = 0;
  /// Bytes read from the inputs.
  std::uint64_t bytes = 0;
  /// Inputs that could not be read (each was reported to on_error).
  std::size_t failed_inputs = 0;
};

/// Counts the words of `inputs` (file names, "-" for standard input) with
/// the whole pipeline, on `system`'s runtime:
///
///   reader thread --chunks--> tokenizer tasks --batches--> counter shards
///     (bounded MPMC channel)                 (bounded mailboxes)
///   --Collect--> shards --reports--> final merge (top K)
///
/// Every link is bounded and waits when full, so a slow stage slows the
/// ones before it, and memory stays flat however large the input (beyond
/// the counts themselves). Blocks the calling thread, which must not be a
/// runtime worker, until the result is ready; the shards it spawned are
/// stopped before it returns. Inputs that cannot be read are reported to
/// `on_error` (from the reader thread) and skipped. `stats` is updated as
/// it goes (for a progress meter). Rethrows a failure of any stage.
PipelineResult count_words(troupe::ActorSystem& system, const std::vector<std::string>& inputs,
                           const PipelineOptions& options, PipelineStats& stats,
                           const InputErrorHandler& on_error);

}  // namespace wordfreq
