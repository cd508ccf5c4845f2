#pragma once

#include <atomic>

#include <troupe/runtime/clock.hpp>

namespace troupe::detail {

class TaskHeader;
class TimerQueue;
class Reactor;

/// Why a task is being put on a run queue; lets the executor pick the queue.
enum class ScheduleHint {
  kWake,   // woken by an event: run soon (LIFO slot when on a worker)
  kYield,  // wants to run again after the others (yield, woken while running)
  kSpawn,  // a new task
};

/// What a task needs from whoever runs it: the work-stealing Executor in
/// production, the single-threaded TestExecutor in tests. All members are
/// thread-safe.
class Scheduler {
 public:
  /// `task` is SCHEDULED and carries a reference for the run queue.
  virtual void schedule(TaskHeader& task, ScheduleHint hint) noexcept = 0;
  /// Registers a new task in the owner list (so shutdown can find it).
  /// False once shutdown has begun: the caller cancels the task.
  virtual bool bind(TaskHeader& task) noexcept = 0;
  /// The task finished: unlink it and drop the owner list's reference.
  virtual void unbind(TaskHeader& task) noexcept = 0;

  virtual Instant now() const noexcept = 0;
  virtual TimerQueue& timers() noexcept = 0;
  /// The I/O reactor, or nullptr for a scheduler without one.
  virtual Reactor* reactor() noexcept = 0;

  /// True once shutdown has begun: from then on no task is polled again,
  /// only destroyed. Without it a task woken by another one's teardown (a
  /// socket closed by a destroyed frame) could run before its own
  /// cancellation is requested.
  bool closing() const noexcept { return closing_.load(std::memory_order_acquire); }

 protected:
  ~Scheduler() = default;
  /// Called by the scheduler's shutdown before it cancels the owned tasks.
  void begin_closing() noexcept { closing_.store(true, std::memory_order_release); }

 private:
  std::atomic<bool> closing_{false};
};

/// The scheduler of the task running on this thread, or nullptr when the
/// thread is not running a task (used by `troupe::spawn`).
Scheduler* current_scheduler() noexcept;
/// Set by executors on their threads; returns the previous value.
Scheduler* set_current_scheduler(Scheduler* s) noexcept;

}  // namespace troupe::detail
