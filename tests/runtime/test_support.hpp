#pragma once

// Helpers shared by the runtime test suites: futures that tests control from
// other threads, lifetime probes, a scheduler that runs tasks only when the
// test says so, and small tasks and constants several suites use. Header
// only; everything is in troupe::test.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/task_header.hpp>
#include <troupe/runtime/detail/timer_queue.hpp>
#include <troupe/runtime/future.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/waker.hpp>

namespace troupe::test {

/// Where a TestExecutor's virtual clock starts: time zero for timed tests.
inline constexpr Instant kT0 = TestExecutor::kStart;

/// Whether this is an optimized build. Debug and sanitizer builds are 10-50x
/// slower: stress tests run fewer items there, same shape.
#ifdef NDEBUG
inline constexpr bool kOptimized = true;
#else
inline constexpr bool kOptimized = false;
#endif

/// A one-shot event a task can co_await; set() from any thread wakes it.
/// Keeps the last registered waker only, like a real leaf future. Must be
/// awaited by reference (`co_await gate`), so it outlives the waiting task.
class Gate {
 public:
  bool poll(Context& cx) noexcept {
    {
      std::lock_guard lock(mutex_);
      if (open_) return true;
      if (!cx.will_wake(waker_)) waker_ = cx.waker();
    }
    polls_.fetch_add(1);
    polls_.notify_all();
    return false;
  }
  void await_resume() const noexcept {}

  /// Blocks the calling thread until a task has parked on the gate (or it
  /// is set): the event to synchronise on before racing with the waiter.
  void wait_until_parked() const {
    for (;;) {
      const auto n = polls_.load();
      if (has_waiter() || is_set()) return;
      polls_.wait(n);
    }
  }

  /// wait_until_parked with the fail-fast deadline: false if no task parked
  /// on the gate (and it was not set) within `limit`. Checks the condition
  /// over and over (yielding the core), as a deadline cannot be put on the
  /// atomic wait.
  [[nodiscard]] bool parked_within(std::chrono::nanoseconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!has_waiter() && !is_set()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  void set() {
    Waker w;
    {
      std::lock_guard lock(mutex_);
      open_ = true;
      w.swap(waker_);
    }
    w.wake();  // outside the lock: waking may run scheduler code
  }
  bool is_set() const {
    std::lock_guard lock(mutex_);
    return open_;
  }
  /// True once a task has polled the gate and is parked on it.
  bool has_waiter() const {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(waker_);
  }
  /// A copy of the registered waker (empty if none).
  Waker waker() const {
    std::lock_guard lock(mutex_);
    return waker_;
  }

 private:
  mutable std::mutex mutex_;
  bool open_ = false;
  Waker waker_;
  std::atomic<std::uint32_t> polls_{0};
};

/// A leaf future that is never ready but records the waker: a task awaiting
/// it is parked forever, and can be woken (spuriously) through `waker()`.
class Forever {
 public:
  bool poll(Context& cx) noexcept {
    {
      std::lock_guard lock(mutex_);
      if (!cx.will_wake(waker_)) waker_ = cx.waker();
    }
    polls_.fetch_add(1);
    polls_.notify_all();
    return false;
  }
  void await_resume() const noexcept {}
  Waker waker() const {
    std::lock_guard lock(mutex_);
    return waker_;
  }
  std::uint32_t polls() const noexcept { return polls_.load(); }
  /// Blocks until the leaf has been polled more than `seen` times.
  void wait_for_poll(std::uint32_t seen = 0) const {
    for (auto n = polls_.load(); n <= seen; n = polls_.load()) polls_.wait(n);
  }

 private:
  mutable std::mutex mutex_;
  Waker waker_;
  std::atomic<std::uint32_t> polls_{0};
};

/// Not ready on the first poll, which wakes the task itself: the task goes
/// through the scheduler once and resumes. A stand-in for a yield.
class WakeSelfOnce {
 public:
  bool poll(Context& cx) noexcept {
    if (polled_) return true;
    polled_ = true;
    cx.waker().wake();
    return false;
  }
  void await_resume() const noexcept {}

 private:
  bool polled_ = false;
};

/// A Future that polls another one exactly once and is then ready, with
/// whether the other one was: for testing what a pending poll leaves behind.
template <class F>
class PollOnce {
 public:
  explicit PollOnce(F& inner) noexcept : inner_(inner) {}
  bool poll(Context& cx) noexcept {
    ready_ = inner_.poll(cx);
    return true;
  }
  bool await_resume() const noexcept { return ready_; }

 private:
  F& inner_;
  bool ready_ = false;
};

/// Wraps a Future and opens `gate` each time it polls pending: the event
/// "the task is now parked on that future", without sleeping.
template <class F>
class SignalWhenPending {
 public:
  SignalWhenPending(F& inner, Gate& gate) : inner_(inner), gate_(gate) {}
  bool poll(Context& cx) noexcept {
    if (inner_.poll(cx)) return true;
    gate_.set();
    return false;
  }
  decltype(auto) await_resume() { return inner_.await_resume(); }

 private:
  F& inner_;
  Gate& gate_;
};

/// Counts constructions and destructions of Tracked values and of the frames
/// that hold them; `live()` is what is still alive. Declare it before the
/// executor: an executor's destructor destroys the tasks still held, and
/// with them their Tracked values, which count here.
struct LifeCounter {
  std::atomic<int> created{0};
  std::atomic<int> destroyed{0};
  int live() const noexcept { return created.load() - destroyed.load(); }
};

/// A value whose lifetime is counted: put one in a coroutine frame (or a
/// task's result) to observe when it is destroyed. Moves count as new
/// objects, so `live()` is exact.
class Tracked {
 public:
  explicit Tracked(LifeCounter& c, int v = 0) noexcept : c_(&c), value_(v) { c_->created++; }
  Tracked(const Tracked& o) noexcept : c_(o.c_), value_(o.value_) { c_->created++; }
  Tracked(Tracked&& o) noexcept : c_(o.c_), value_(o.value_) { c_->created++; }
  Tracked& operator=(const Tracked&) = delete;
  Tracked& operator=(Tracked&&) = delete;
  ~Tracked() { c_->destroyed++; }
  int value() const noexcept { return value_; }

 private:
  LifeCounter* c_;
  int value_;
};

/// Sets `ran`, then returns the probe's value: whether the body ran at all,
/// and (through the probe) when its frame is destroyed.
inline Task<int> mark_and_return(std::atomic<bool>& ran, Tracked probe) {
  ran.store(true);
  co_return probe.value();
}

/// Sets `flag` and finishes.
inline Task<void> set_flag(std::atomic<bool>& flag) {
  flag.store(true);
  co_return;
}

/// Returns `v` after sleeping `d`.
inline Task<int> value_after(Duration d, int v) {
  co_await sleep_for(d);
  co_return v;
}

/// Finishes once `gate` is set.
inline Task<void> wait_for(Gate& gate) { co_await gate; }

/// A WakeTarget that only counts: for testing Waker itself.
class CountingTarget final : public detail::WakeTarget {
 public:
  void wake() noexcept override { wakes.fetch_add(1); }
  void retain() noexcept override { refs.fetch_add(1); }
  void release() noexcept override { refs.fetch_sub(1); }
  std::atomic<int> wakes{0};
  std::atomic<int> refs{0};
};

/// An auto-reset event for ping-pong between tasks: notify() leaves one
/// permit (several notifies before a poll coalesce), and a poll that finds
/// the permit consumes it. One waiting task at a time.
class Notify {
 public:
  bool poll(Context& cx) noexcept {
    std::lock_guard lock(mutex_);
    if (permit_) {
      permit_ = false;
      return true;
    }
    if (!cx.will_wake(waker_)) waker_ = cx.waker();
    return false;
  }
  void await_resume() const noexcept {}
  void notify() {
    Waker w;
    {
      std::lock_guard lock(mutex_);
      permit_ = true;
      w.swap(waker_);
    }
    w.wake();
  }

 private:
  std::mutex mutex_;
  bool permit_ = false;
  Waker waker_;
};

/// A TaskHeader with no coroutine, for lending a Context to a future from a
/// test: it counts the wakes that reach it and tells when its last
/// reference is dropped. It starts idle, holding one reference (the test's);
/// its storage belongs to the test. A wake "runs" it on the spot.
class ProbeTask final : public detail::TaskHeader {
 public:
  ProbeTask() noexcept : TaskHeader(ProbeScheduler::instance(), 2) {
    // Leave the initial SCHEDULED state like a first run would.
    state.start_run();
    state.end_run();
    state.unref();
  }
  ~ProbeTask() = default;
  std::exception_ptr unobserved_failure() noexcept override { return nullptr; }
  std::uint64_t refs() const noexcept { return detail::TaskState::refs(state.load()); }
  bool freed() const noexcept { return freed_.load(); }
  int wakes() const noexcept { return wakes_.load(); }

 private:
  class ProbeScheduler final : public detail::Scheduler {
   public:
    static ProbeScheduler& instance() {
      static ProbeScheduler s;
      return s;
    }
    void schedule(detail::TaskHeader& task, detail::ScheduleHint) noexcept override {
      auto& probe = static_cast<ProbeTask&>(task);
      probe.wakes_.fetch_add(1);
      probe.state.start_run();
      probe.state.end_run();
      probe.release();  // the queue's reference
    }
    bool bind(detail::TaskHeader&) noexcept override { return false; }
    void unbind(detail::TaskHeader&) noexcept override {}
    Instant now() const noexcept override { return Clock::now(); }
    detail::TimerQueue& timers() noexcept override { return timers_; }
    detail::Reactor* reactor() noexcept override { return nullptr; }

   private:
    detail::TimerQueue timers_;
  };

  bool poll() noexcept override { return false; }
  void take_result() noexcept override {}
  void destroy_frame() noexcept override {}
  void deallocate() noexcept override { freed_.store(true); }
  std::atomic<bool> freed_{false};
  std::atomic<int> wakes_{0};
};

/// A Scheduler that queues tasks and runs them only in run_*() on the
/// calling thread: deterministic single-threaded execution for unit tests.
/// schedule() may be called from any thread.
class ManualScheduler final : public detail::Scheduler {
 public:
  ManualScheduler() = default;
  ManualScheduler(const ManualScheduler&) = delete;
  ManualScheduler& operator=(const ManualScheduler&) = delete;
  ~ManualScheduler() {
    close();
    // Anything still queued only holds a reference: the run drops it.
    run_until_idle();
  }

  void schedule(detail::TaskHeader& task, detail::ScheduleHint) noexcept override {
    std::lock_guard lock(mutex_);
    queue_.push_back(&task);
    scheduled_++;
  }
  bool bind(detail::TaskHeader& task) noexcept override {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    task.owner_shard = 0;
    owned_.insert(&task);
    return true;
  }
  void unbind(detail::TaskHeader& task) noexcept override {
    {
      std::lock_guard lock(mutex_);
      owned_.erase(&task);
    }
    task.release();
  }
  Instant now() const noexcept override { return Clock::now(); }
  detail::TimerQueue& timers() noexcept override { return timers_; }
  detail::Reactor* reactor() noexcept override { return nullptr; }

  /// Runs one queued task; false if there was none.
  bool run_one() {
    detail::TaskHeader* t;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return false;
      t = queue_.front();
      queue_.pop_front();
    }
    Scheduler* prev = detail::set_current_scheduler(this);
    t->run();
    detail::set_current_scheduler(prev);
    return true;
  }
  /// Runs queued tasks until none is left; returns how many runs that took.
  std::size_t run_until_idle() {
    std::size_t n = 0;
    while (run_one()) ++n;
    return n;
  }

  /// Refuses new tasks and cancels the live ones, like a shutdown.
  void close() {
    std::set<detail::TaskHeader*> live;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      live = owned_;
      for (auto* t : live) t->retain();
    }
    for (auto* t : live) {
      t->cancel();
      t->release();
    }
  }

  std::size_t queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }
  std::size_t owned() const {
    std::lock_guard lock(mutex_);
    return owned_.size();
  }
  /// How many times schedule() was called.
  std::size_t scheduled() const {
    std::lock_guard lock(mutex_);
    return scheduled_;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<detail::TaskHeader*> queue_;
  std::set<detail::TaskHeader*> owned_;
  std::size_t scheduled_ = 0;
  bool closed_ = false;
  detail::TimerQueue timers_;
};

/// How long a wake-up or stress test waits for an event before it calls the
/// event lost and fails: far above any wake-up on a loaded machine (tens of
/// milliseconds), far below ctest's timeout.
inline constexpr std::chrono::seconds kFailFast{10};

/// A count of events, counted down from any thread; a test thread waits for
/// zero with a deadline, so a lost event fails fast instead of hanging.
class Countdown {
 public:
  explicit Countdown(std::int64_t n) : left_(n) {}
  void count_down(std::int64_t by = 1) {
    std::lock_guard lock(mutex_);
    left_ -= by;
    if (left_ <= 0) zero_.notify_all();
  }
  /// True if the count reached zero within `limit`.
  [[nodiscard]] bool wait_for(std::chrono::nanoseconds limit = kFailFast) {
    std::unique_lock lock(mutex_);
    return zero_.wait_for(lock, limit, [&] { return left_ <= 0; });
  }
  std::int64_t left() const {
    std::lock_guard lock(mutex_);
    return left_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable zero_;
  std::int64_t left_;
};

/// Runs `blocking` on its own thread and waits up to `limit` for it to
/// return. If it has not, calls `rescue` (which must make `blocking`
/// return), joins the thread and returns false: a blocking call that should
/// have returned fails the test in seconds, and the test still ends.
template <class Blocking, class Rescue>
[[nodiscard]] bool returns_within(std::chrono::nanoseconds limit, Blocking blocking,
                                  Rescue rescue) {
  Countdown done(1);
  std::thread t([&] {
    blocking();
    done.count_down();
  });
  const bool in_time = done.wait_for(limit);
  if (!in_time) rescue();
  t.join();
  return in_time;
}

/// A plain thread's parker with a deadline: like detail::ThreadParker (a
/// wake before the park is remembered), but park_for gives up after a
/// while, so that a lost wake fails the test instead of hanging it.
class TimedParker {
 public:
  TimedParker() : target_(new Target) {}
  TimedParker(const TimedParker&) = delete;
  TimedParker& operator=(const TimedParker&) = delete;
  ~TimedParker() { target_->release(); }

  /// A Waker that unparks this parker (takes a reference).
  Waker waker() noexcept { return Waker::retain(target_); }
  /// Waits until woken (at once if a wake is pending) and clears the wake;
  /// false if `limit` passed first.
  [[nodiscard]] bool park_for(std::chrono::nanoseconds limit) {
    std::unique_lock lock(target_->mutex);
    if (!target_->woken.wait_for(lock, limit, [&] { return target_->flag; })) return false;
    target_->flag = false;
    return true;
  }

 private:
  struct Target final : detail::WakeTarget {
    void wake() noexcept override {
      {
        std::lock_guard lock(mutex);
        flag = true;
      }
      woken.notify_one();
    }
    void retain() noexcept override { refs.fetch_add(1); }
    void release() noexcept override {
      if (refs.fetch_sub(1) == 1) delete this;
    }
    std::mutex mutex;
    std::condition_variable woken;
    bool flag = false;
    std::atomic<int> refs{1};
  };
  Target* target_;
};

/// For a hang nothing can rescue (a shutdown that never ends): unless
/// disarmed (destroyed) within `limit`, it reports `what` and aborts the
/// process, so the test fails in seconds instead of at ctest's timeout.
/// Given a progress counter, it aborts only after `limit` without progress
/// instead: a slow run on a loaded machine is not a hang.
class Watchdog {
 public:
  explicit Watchdog(const char* what, std::chrono::nanoseconds limit = kFailFast,
                    const std::atomic<std::int64_t>* progress = nullptr)
      : thread_([this, what, limit, progress] {
          std::int64_t seen = progress ? progress->load() : 0;
          while (!disarmed_.wait_for(limit)) {
            if (progress && progress->load() != seen) {
              seen = progress->load();
              continue;
            }
            std::fprintf(stderr, "watchdog: %s made no progress for %lld ms\n", what,
                         static_cast<long long>(
                             std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()));
            std::abort();
          }
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    disarmed_.count_down();
    thread_.join();
  }

 private:
  Countdown disarmed_{1};
  std::thread thread_;
};

/// Round counts for stress tests that must also end in seconds on a loaded
/// machine, where every wake-up waits for a time slice: round `i` runs if
/// fewer than `min` rounds ran, or while `budget` has not passed yet. The
/// upper bound stays the caller's. Thread-safe (it only reads the clock).
class RoundBudget {
 public:
  RoundBudget(std::int64_t min, std::chrono::nanoseconds budget)
      : min_(min), budget_(budget), start_(std::chrono::steady_clock::now()) {}
  bool allows(std::int64_t i) const {
    return i < min_ || std::chrono::steady_clock::now() - start_ <= budget_;
  }

 private:
  std::int64_t min_;
  std::chrono::nanoseconds budget_;
  std::chrono::steady_clock::time_point start_;
};

/// Runs `fn` on `n` plain threads at once (released together) and joins them.
template <class Fn>
void run_concurrently(std::size_t n, Fn fn) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      go.wait(false);
      fn(i);
    });
  }
  go.store(true);
  go.notify_all();
  for (auto& t : threads) t.join();
}

}  // namespace troupe::test
