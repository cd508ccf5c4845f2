#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>

#include "pipeline/stats.hpp"

namespace wordfreq {

/// One progress line: bytes counted so far, throughput, and the share done
/// when the total is known (0: unknown), e.g. " 73.4 MB  97.2 MB/s  37%".
std::string format_progress(std::uint64_t bytes, double seconds, std::uint64_t total_bytes);

/// Shows how far a long run has got, for a person watching a terminal: a
/// line on `out` (stderr), rewritten in place every `period` by a task on
/// `runtime` (the first after one period, so a short run shows nothing),
/// and erased by stop(). Owned by the thread that runs the pipeline;
/// reads `stats`, which must outlive it.
class ProgressMeter {
 public:
  ProgressMeter(troupe::Runtime& runtime, const PipelineStats& stats, std::uint64_t total_bytes,
                std::FILE* out, troupe::Duration period);
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;
  ~ProgressMeter() { stop(); }

  /// Stops the task and erases the line. Idempotent. Returns whether
  /// anything was shown (the run was long enough for a summary to be
  /// welcome).
  bool stop();

 private:
  std::FILE* out_;
  std::atomic<bool> shown_{false};  // set by the task, read by stop()
  troupe::JoinHandle<void> task_;
  bool stopped_ = false;
};

}  // namespace wordfreq
