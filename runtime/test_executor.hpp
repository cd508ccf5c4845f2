#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <utility>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/detail/driven_scheduler.hpp>
#include <troupe/runtime/detail/inject_queue.hpp>
#include <troupe/runtime/detail/owned_tasks.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/timer_queue.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe {

/// A deterministic, single-threaded scheduler with a virtual clock, for
/// tests (the runtime's and its users'): tasks run only inside step(),
/// run_until_idle(), advance_and_run() and block_on(), on the calling
/// thread, one at a time, in FIFO order of becoming runnable; time moves only
/// when the test says so.
///
/// The clock starts at kStart and never moves by itself. `advance` and
/// `advance_to` move it and fire the timers that became due (in deadline
/// order; the order among equal deadlines is unspecified but deterministic),
/// which makes their tasks runnable but does not run them: call
/// run_until_idle() next, or use `advance_and_run`, which stops at every
/// timer deadline on the way and runs what it woke, so each task sees now()
/// equal to its own deadline.
///
/// The test owns it. Destroying it cancels every task still alive and
/// destroys their frames (so suspended tasks do not leak). Wakes (and
/// spawn/advance) may come from other threads; running tasks (step and the
/// functions built on it) must be done by one thread at a time.
class TestExecutor final : public detail::DrivenScheduler {
 public:
  /// Where the virtual clock starts: an arbitrary fixed Instant, away from
  /// the clock's zero so that code which wrongly assumes zero shows up.
  static constexpr Instant kStart = Instant(std::chrono::hours(1));

  TestExecutor();
  TestExecutor(const TestExecutor&) = delete;
  TestExecutor& operator=(const TestExecutor&) = delete;
  ~TestExecutor();

  /// Queues `task` (it runs at the next step); its JoinHandle gives its result.
  template <class T>
  JoinHandle<T> spawn(Task<T> task) {
    return detail::spawn_on(*this, std::move(task));
  }

  /// Runs the task at the head of the ready queue once (one poll, until it
  /// suspends or finishes). False if no task was ready.
  bool step();
  /// Steps until no task is ready (without moving the clock); returns how
  /// many steps it took.
  std::size_t run_until_idle() override;

  /// Moves the clock forward by `d` (d < 0 is an error: std::invalid_argument)
  /// and fires the timers that became due. Runs nothing.
  void advance(Duration d);
  /// Moves the clock to `t` (if it is later than now) and fires the timers
  /// that are due. Runs nothing.
  void advance_to(Instant t);
  /// Runs the ready tasks, then moves the clock forward by `d` one timer
  /// deadline at a time, running the woken tasks at each. Timers armed
  /// on the way count if they fall within `d`. Returns the number of steps.
  std::size_t advance_and_run(Duration d);

  /// Runs `task` to completion and returns its value (or rethrows its
  /// exception), running every other task too; whenever nothing is ready it
  /// jumps the clock to the next timer. Throws std::logic_error if nothing
  /// is ready, no timer is armed and `task` has not finished (a deadlock, or
  /// a wait for another thread, which block_on does not do); `task` is then
  /// cancelled first.
  template <class T>
  T block_on(Task<T> task) {
    JoinHandle<T> handle = spawn(std::move(task));
    for (;;) {
      run_until_idle();
      if (handle.is_finished()) return handle.wait();
      if (!advance_to_next_timer()) {
        handle.cancel();
        run_until_idle();
        throw_deadlock();
      }
    }
  }

  /// Tasks ready to run.
  std::size_t ready_tasks() const noexcept { return ready_.size(); }
  /// Tasks spawned and not yet finished (ready, suspended or cancelled but
  /// not yet run).
  std::size_t live_tasks() const noexcept { return owned_.size(); }
  /// Timers armed and not yet fired.
  std::size_t pending_timers() const { return timers_.size(); }
  /// The earliest armed timer deadline, if any.
  std::optional<Instant> next_timer() const { return timers_.next_deadline(); }

  // Scheduler
  void schedule(detail::TaskHeader& task, detail::ScheduleHint hint) noexcept override;
  bool bind(detail::TaskHeader& task) noexcept override;
  void unbind(detail::TaskHeader& task) noexcept override;
  Instant now() const noexcept override;
  detail::TimerQueue& timers() noexcept override { return timers_; }
  detail::Reactor* reactor() noexcept override { return nullptr; }

 private:
  bool advance_to_next_timer();
  [[noreturn]] static void throw_deadlock();

  detail::InjectQueue ready_;
  detail::OwnedTasks owned_{1};
  detail::TimerQueue timers_;
  std::atomic<Duration::rep> now_{kStart.time_since_epoch().count()};
};

}  // namespace troupe
