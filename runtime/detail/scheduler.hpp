#pragma once

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

 protected:
  ~Scheduler() = default;
};

/// The scheduler of the task running on this thread, or nullptr when the
/// thread is not running a task (used by `troupe::spawn`).
Scheduler* current_scheduler() noexcept;
/// Set by executors on their threads; returns the previous value.
Scheduler* set_current_scheduler(Scheduler* s) noexcept;

}  // namespace troupe::detail
