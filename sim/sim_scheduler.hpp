#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/detail/driven_scheduler.hpp>
#include <troupe/runtime/detail/owned_tasks.hpp>
#include <troupe/runtime/detail/timer_queue.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/sim_random.hpp>
#include <troupe/sim/sim_trace.hpp>

namespace troupe {

/// How a SimScheduler perturbs the schedule (beyond picking the next ready
/// task at random, which it always does).
struct SimSchedulerOptions {
  /// For lifo_per_mille: a choice per seed among 0, 500 and 900.
  static constexpr std::uint32_t kVaried = ~std::uint32_t{0};
  /// Chance, per thousand, that a step runs the task that became ready
  /// last rather than one picked at random, as the production executor's
  /// LIFO slot does: some seeds then follow chains of wake-ups (a message
  /// and its reply, back and forth) and others spread out.
  std::uint32_t lifo_per_mille = kVaried;
  /// Chance, per thousand, that a step with tasks ready and a timer armed
  /// jumps the clock to that timer instead of running a task: time passes
  /// while work is pending, as on a slow machine, so timeouts race replies.
  std::uint32_t time_jump_per_mille = 20;
  /// Timers fire up to this much after their deadline (a random delay each
  /// time the clock jumps); zero: exactly at their deadline.
  Duration max_timer_delay = std::chrono::milliseconds(0);
  /// Events the trace keeps for printing (its hash covers all of them).
  std::size_t trace_capacity = 4096;
  /// step(), run(), run_for() and block_on() throw SimStepLimit past this
  /// many steps: a livelock fails the run instead of hanging it.
  std::uint64_t max_steps = 2'000'000;
};

/// Thrown by the driving calls of a SimScheduler (step, run, run_for,
/// block_on) once the run was halted (a check failed): it unwinds the
/// test body, whose ActorSystems then shut down as usual.
class SimHalted : public std::runtime_error {
 public:
  SimHalted() : std::runtime_error("troupe: simulation halted (a check failed)") {}
};

/// Thrown by the driving calls of a SimScheduler past its step limit.
class SimStepLimit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A deterministic scheduler for simulations: like the TestExecutor it runs
/// tasks (and actors, which are tasks) on the calling thread with a virtual
/// clock, but a seed decides the schedule. Each step runs one task picked
/// at random from all the ready ones, or, when none is ready (and now and
/// then when some are: SimSchedulerOptions), jumps the clock to the next
/// timer (plus a random delay) and fires what is due. Every step goes into
/// a trace and its hash, so a replay of the seed can be checked step for
/// step. Tasks are known by their spawn number, never by address.
///
/// Owned by the test (usually through a SimContext); ActorSystems and
/// tasks on it must not outlive it. Single-threaded: spawns, wakes and
/// steps must all happen on the thread that created it (a wake from another
/// thread would make the run non-deterministic; it aborts with a message).
/// Destroying it cancels every task still alive and destroys their frames.
class SimScheduler final : public detail::DrivenScheduler {
 public:
  /// Where the virtual clock starts (the same as the TestExecutor's).
  static constexpr Instant kStart = Instant(std::chrono::hours(1));

  explicit SimScheduler(std::uint64_t seed, SimSchedulerOptions options = {});
  SimScheduler(const SimScheduler&) = delete;
  SimScheduler& operator=(const SimScheduler&) = delete;
  ~SimScheduler();

  /// Queues `task` (a random later step runs it); its JoinHandle gives its result.
  template <class T>
  JoinHandle<T> spawn(Task<T> task) {
    return detail::spawn_on(*this, std::move(task));
  }

  /// One step: runs one ready task, or moves the clock to the next timer
  /// and fires it. False if nothing is ready and no timer is armed.
  bool step();
  /// Steps until nothing is ready and no timer is armed, or `max_steps`
  /// more steps have run; returns how many ran. Timers that re-arm forever
  /// (intervals, receive timeouts) keep it going until `max_steps`.
  std::size_t run(std::uint64_t max_steps);
  /// Steps until the clock reaches now + `d` with nothing ready (timers
  /// past it are left armed); returns the steps.
  std::size_t run_for(Duration d);
  /// Runs ready tasks, picked at random, until none is ready, without
  /// moving the clock; returns how many ran. Never throws SimHalted
  /// (ActorSystem::shutdown calls it).
  std::size_t run_until_idle() override;

  /// Steps until `task` finishes and returns its value (or rethrows its
  /// exception). Throws std::logic_error if nothing is ready, no timer is
  /// armed and `task` has not finished (a deadlock; it is cancelled first).
  template <class T>
  T block_on(Task<T> task) {
    JoinHandle<T> handle = spawn(std::move(task));
    while (!handle.is_finished()) {
      if (!step()) {
        handle.cancel();
        run_until_idle();
        throw_deadlock();
      }
    }
    return handle.wait();
  }

  /// Steps taken so far (tasks run and clock jumps).
  std::uint64_t steps() const noexcept { return steps_; }
  /// Time since the simulation started.
  Duration elapsed() const noexcept { return now_ - kStart; }
  std::size_t ready_tasks() const noexcept { return ready_.size(); }
  std::size_t live_tasks() const noexcept { return owned_.size(); }
  std::size_t pending_timers() const { return timers_.size(); }

  /// The run's trace: its hash and its last events.
  const SimTrace& trace() const noexcept { return trace_; }
  /// Adds an event to the trace (and its hash), at the current step and time.
  void record(SimEventKind kind, std::uint64_t id, std::string text = {});
  /// Names a live task (an actor's cell is one) in the printed trace.
  void name_task(const detail::TaskHeader& task, std::string name);
  /// The scheduler's own generator (tests have their own: SimContext::random).
  SimRandom& scheduler_random() noexcept { return rng_; }

  /// Called after every step (invariants): set by SimContext.
  void set_after_step(std::function<void()> hook) { after_step_ = std::move(hook); }
  /// From now on the driving calls throw SimHalted (a check failed).
  void halt() noexcept { halted_ = true; }
  bool halted() const noexcept { return halted_; }

  // Scheduler
  void schedule(detail::TaskHeader& task, detail::ScheduleHint hint) noexcept override;
  bool bind(detail::TaskHeader& task) noexcept override;
  void unbind(detail::TaskHeader& task) noexcept override;
  Instant now() const noexcept override { return now_; }
  detail::TimerQueue& timers() noexcept override { return timers_; }
  detail::Reactor* reactor() noexcept override { return nullptr; }

 private:
  struct Ready {
    detail::TaskHeader* task;
    std::uint64_t id;
    std::uint64_t order;  // when it became ready (for the LIFO choice)
  };
  bool run_one();
  /// Jumps the clock to the next deadline (plus a random delay, at most to
  /// `limit`) and fires the due timers; false if no timer is armed at or
  /// before `limit`.
  bool jump_clock(Instant limit);
  void check_driving();
  void after_step();
  [[noreturn]] static void throw_deadlock();

  SimSchedulerOptions options_;
  SimRandom rng_;
  SimTrace trace_;
  std::vector<Ready> ready_;
  // Spawn numbers of the live tasks. Looked up, never iterated: its order
  // (which depends on addresses) never reaches the schedule.
  std::unordered_map<const detail::TaskHeader*, std::uint64_t> ids_;
  std::uint64_t spawned_ = 0;
  std::uint64_t scheduled_ = 0;
  std::uint32_t lifo_per_mille_ = 0;
  std::uint64_t steps_ = 0;
  Instant now_ = kStart;
  detail::OwnedTasks owned_{1};
  detail::TimerQueue timers_;
  std::function<void()> after_step_;
  bool halted_ = false;
  bool in_hook_ = false;
  std::thread::id owner_;
};

}  // namespace troupe
