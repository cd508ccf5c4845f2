#include <stdexcept>

#include <troupe/runtime/detail/task_header.hpp>
#include <troupe/runtime/detail/timer_registration.hpp>
#include <troupe/runtime/test_executor.hpp>

namespace troupe {

TestExecutor::TestExecutor() = default;

TestExecutor::~TestExecutor() {
  // Cancelled tasks are queued; running them destroys their frames (whose
  // destructors may disarm timers, wake or spawn: spawns are refused now).
  begin_closing();
  owned_.close_and_cancel_all();
  run_until_idle();
}

bool TestExecutor::step() {
  detail::TaskHeader* task = ready_.pop();
  if (task == nullptr) return false;
  detail::Scheduler* prev = detail::set_current_scheduler(this);
  task->run();
  detail::set_current_scheduler(prev);
  return true;
}

std::size_t TestExecutor::run_until_idle() {
  std::size_t steps = 0;
  while (step()) ++steps;
  return steps;
}

void TestExecutor::advance(Duration d) {
  if (d < Duration::zero()) {
    throw std::invalid_argument("troupe::TestExecutor::advance: the clock cannot go backwards");
  }
  advance_to(detail::saturating_add(now(), d));
}

void TestExecutor::advance_to(Instant t) {
  const Duration::rep target = t.time_since_epoch().count();
  Duration::rep cur = now_.load(std::memory_order_acquire);
  while (cur < target && !now_.compare_exchange_weak(cur, target, std::memory_order_acq_rel,
                                                     std::memory_order_acquire)) {
  }
  timers_.fire_due(now());
}

std::size_t TestExecutor::advance_and_run(Duration d) {
  if (d < Duration::zero()) {
    throw std::invalid_argument(
        "troupe::TestExecutor::advance_and_run: the clock cannot go backwards");
  }
  std::size_t steps = run_until_idle();
  const Instant target = detail::saturating_add(now(), d);
  for (auto next = timers_.next_deadline(); next && *next <= target;
       next = timers_.next_deadline()) {
    advance_to(*next);
    steps += run_until_idle();
  }
  advance_to(target);
  return steps + run_until_idle();
}

bool TestExecutor::advance_to_next_timer() {
  const auto next = timers_.next_deadline();
  if (!next) return false;
  advance_to(*next);
  return true;
}

void TestExecutor::throw_deadlock() {
  throw std::logic_error(
      "troupe::TestExecutor::block_on: deadlock: no task is ready, no timer is armed, and the "
      "task has not finished (it was cancelled)");
}

void TestExecutor::schedule(detail::TaskHeader& task, detail::ScheduleHint) noexcept {
  ready_.push(&task);
}

bool TestExecutor::bind(detail::TaskHeader& task) noexcept { return owned_.bind(task, 0); }

void TestExecutor::unbind(detail::TaskHeader& task) noexcept { owned_.unbind(task); }

Instant TestExecutor::now() const noexcept {
  return Instant(Duration(now_.load(std::memory_order_acquire)));
}

}  // namespace troupe
