#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include <troupe/runtime/clock.hpp>

namespace troupe::detail {

/// How many DeadLetterReason values there are (actor/dead_letter.hpp); a
/// reason past the last is counted as the last.
inline constexpr std::size_t kDeadLetterReasonCount = 6;

/// The upper bounds (seconds) of the ask-duration histogram's buckets; a
/// last bucket, +Inf, follows.
inline constexpr std::array<double, 12> kAskBucketBounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5, 10};

/// One thread's counters: what the framework counts for metrics (the
/// metrics module sums every thread's block when scraped).
///
/// Owned by the registry in metrics_counters.cpp; each block belongs to
/// one thread, the only one that writes it, with a relaxed load and store
/// (no read-modify-write: nobody else writes it, so nothing is lost); any
/// thread may read it (relaxed loads) to sum. On its own cache lines, so
/// that threads never share one. When its thread exits, its counts go to
/// the registry's totals and the block is freed.
struct alignas(64) CounterBlock {
  using Counter = std::atomic<std::uint64_t>;
  Counter messages_handled{0};
  Counter tasks_spawned{0};
  Counter actors_started{0};
  Counter actor_restarts{0};
  std::array<Counter, kDeadLetterReasonCount> dead_letters{};
  std::array<Counter, kAskBucketBounds.size() + 1> ask_buckets{};  // not cumulative
  Counter ask_count{0};
  Counter ask_nanoseconds{0};
  // A worker thread's clock (Executor::run_worker): since when it is a
  // worker (0: it is not one), and how long it spent parked: the total of
  // its finished parks, and the start of the current one (0: not parked).
  std::atomic<std::int64_t> worker_since{0};
  std::atomic<std::int64_t> parked_total{0};
  std::atomic<std::int64_t> parked_since{0};
  std::uint64_t serial = 0;  // set once, before the block is published
};

/// The calling thread's block; null until its first count.
extern constinit thread_local CounterBlock* tls_counter_block;
/// Makes and registers the calling thread's block (its first count).
CounterBlock& register_counter_block() noexcept;

inline CounterBlock& counter_block() noexcept {
  CounterBlock* b = tls_counter_block;
  if (b != nullptr) [[likely]]
    return *b;
  return register_counter_block();
}

/// +n by the owning thread: a plain add, atomic only so that a scrape may
/// read it meanwhile.
inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

inline void count_messages_handled(std::uint64_t n = 1) noexcept {
  bump(counter_block().messages_handled, n);
}
inline void count_task_spawned() noexcept { bump(counter_block().tasks_spawned); }
inline void count_actor_started() noexcept { bump(counter_block().actors_started); }
inline void count_actor_restart() noexcept { bump(counter_block().actor_restarts); }
inline void count_dead_letter(std::size_t reason) noexcept {
  if (reason >= kDeadLetterReasonCount) reason = kDeadLetterReasonCount - 1;
  bump(counter_block().dead_letters[reason]);
}
/// An ask that took `d` from its first poll to its outcome.
void count_ask(Duration d) noexcept;

/// Times an ask for count_ask: start() at each poll (only the first counts),
/// finish() once it is ready. Two clock reads per ask.
class AskTimer {
 public:
  void start() noexcept {
    if (started_ == Instant{}) started_ = Clock::now();
  }
  void finish() noexcept {
    if (started_ != Instant{}) count_ask(Clock::now() - std::exchange(started_, Instant{}));
  }

 private:
  Instant started_{};
};

/// Nanoseconds on the steady clock, for the worker clocks.
inline std::int64_t steady_nanoseconds() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}
/// The calling thread becomes (or stops being) a worker of an executor.
void worker_begins() noexcept;
void worker_ends() noexcept;
/// Around a worker's wait for work (the slow path, where it sleeps).
void worker_parks() noexcept;
void worker_unparks() noexcept;

/// Every thread's counts added up (threads gone included).
struct CounterTotals {
  std::uint64_t messages_handled = 0;
  std::uint64_t tasks_spawned = 0;
  std::uint64_t actors_started = 0;
  std::uint64_t actor_restarts = 0;
  std::array<std::uint64_t, kDeadLetterReasonCount> dead_letters{};
  std::array<std::uint64_t, kAskBucketBounds.size() + 1> ask_buckets{};
  std::uint64_t ask_count = 0;
  std::uint64_t ask_nanoseconds = 0;
};
CounterTotals sum_counters();

/// One worker thread's clock as read `now` (steady_nanoseconds): its
/// block's serial, since when it is a worker, and how long it has been
/// parked in all (nanoseconds).
struct WorkerClock {
  std::uint64_t serial;
  std::int64_t now;
  std::int64_t since;
  std::int64_t parked;
};
std::vector<WorkerClock> worker_clocks();

}  // namespace troupe::detail
