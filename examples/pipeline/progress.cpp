#include "pipeline/progress.hpp"

#include <chrono>

#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>

namespace wordfreq {

namespace {

troupe::Task<void> report_every(troupe::Duration period, const PipelineStats& stats,
                                std::uint64_t total_bytes, std::FILE* out,
                                std::atomic<bool>& shown) {
  const auto start = troupe::Clock::now();
  for (;;) {
    co_await troupe::sleep_for(period);
    const std::chrono::duration<double> elapsed = troupe::Clock::now() - start;
    const std::string line = format_progress(stats.bytes_counted.load(std::memory_order_relaxed),
                                             elapsed.count(), total_bytes);
    // "\r" and "erase to the end of the line": the line is rewritten in place.
    std::fprintf(out, "\r\033[K%s", line.c_str());
    std::fflush(out);
    shown.store(true, std::memory_order_relaxed);
  }
}

}  // namespace

std::string format_progress(std::uint64_t bytes, double seconds, std::uint64_t total_bytes) {
  constexpr double kMB = 1e6;
  const double mb = static_cast<double>(bytes) / kMB;
  char line[96];
  int n =
      std::snprintf(line, sizeof line, "%8.1f MB %8.1f MB/s", mb, seconds > 0 ? mb / seconds : 0.0);
  if (total_bytes > 0 && n > 0 && static_cast<std::size_t>(n) < sizeof line) {
    const double share = 100.0 * static_cast<double>(bytes) / static_cast<double>(total_bytes);
    std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), " %4.0f%%",
                  share > 100.0 ? 100.0 : share);
  }
  return line;
}

ProgressMeter::ProgressMeter(troupe::Runtime& runtime, const PipelineStats& stats,
                             std::uint64_t total_bytes, std::FILE* out, troupe::Duration period)
    : out_(out), task_(runtime.spawn(report_every(period, stats, total_bytes, out, shown_))) {}

bool ProgressMeter::stop() {
  if (stopped_) return shown_.load(std::memory_order_relaxed);
  stopped_ = true;
  task_.cancel();
  try {
    task_.wait();  // the task is gone once this returns: no line after ours
  } catch (const troupe::TaskCancelled&) {
  }
  const bool shown = shown_.load(std::memory_order_relaxed);
  if (shown) {
    std::fputs("\r\033[K", out_);
    std::fflush(out_);
  }
  return shown;
}

}  // namespace wordfreq
