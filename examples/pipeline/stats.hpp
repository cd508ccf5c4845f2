#pragma once

#include <atomic>
#include <cstdint>

namespace wordfreq {

/// Running totals of a pipeline, for the progress meter: written by the
/// reader thread and the tokenizer workers, read from anywhere. Owned by
/// whoever runs the pipeline and outlives it; thread-safe (relaxed
/// counters: each is exact, but two read together need not be in step).
struct PipelineStats {
  /// Bytes the reader has taken from its inputs.
  std::atomic<std::uint64_t> bytes_read{0};
  /// Bytes the tokenizer workers have finished counting.
  std::atomic<std::uint64_t> bytes_counted{0};
  /// Chunks the reader has handed to the channel.
  std::atomic<std::uint64_t> chunks_sent{0};
};

}  // namespace wordfreq
