#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <troupe/runtime/detail/task_header.hpp>
#include <troupe/runtime/detail/timer_registration.hpp>
#include <troupe/sim/sim_scheduler.hpp>

namespace troupe {

SimScheduler::SimScheduler(std::uint64_t seed, SimSchedulerOptions options)
    : options_(options),
      rng_(seed),
      trace_(options.trace_capacity),
      owner_(std::this_thread::get_id()) {
  static constexpr std::uint32_t kBiases[] = {0, 500, 900};
  lifo_per_mille_ = options_.lifo_per_mille == SimSchedulerOptions::kVaried
                        ? kBiases[rng_.index(3)]
                        : options_.lifo_per_mille;
}

SimScheduler::~SimScheduler() {
  // As the TestExecutor: cancelled tasks are queued, and running them
  // destroys their frames. The hook may refer to what is already gone.
  after_step_ = nullptr;
  begin_closing();
  owned_.close_and_cancel_all();
  run_until_idle();
}

void SimScheduler::record(SimEventKind kind, std::uint64_t id, std::string text) {
  trace_.add(SimEvent{steps_, kind, id, now_ - kStart, std::move(text)});
}

void SimScheduler::name_task(const detail::TaskHeader& task, std::string name) {
  const auto it = ids_.find(&task);
  if (it != ids_.end()) trace_.set_name(it->second, std::move(name));
}

bool SimScheduler::run_one() {
  if (ready_.empty()) return false;
  std::size_t i = 0;
  if (lifo_per_mille_ > 0 && rng_.chance(lifo_per_mille_, 1000)) {
    for (std::size_t j = 1; j < ready_.size(); ++j) {
      if (ready_[j].order > ready_[i].order) i = j;
    }
  } else {
    i = rng_.index(ready_.size());
  }
  const Ready next = ready_[i];
  ready_[i] = ready_.back();
  ready_.pop_back();
  ++steps_;
  record(SimEventKind::kPoll, next.id);
  detail::Scheduler* prev = detail::set_current_scheduler(this);
  next.task->run();
  detail::set_current_scheduler(prev);
  after_step();
  return true;
}

bool SimScheduler::jump_clock(Instant limit) {
  const auto next = timers_.next_deadline();
  if (!next || *next > limit) return false;
  Instant target = *next;
  if (options_.max_timer_delay > Duration::zero()) {
    target =
        detail::saturating_add(target, rng_.duration(Duration::zero(), options_.max_timer_delay));
    if (target > limit) target = limit;
  }
  if (target > now_) now_ = target;
  ++steps_;
  const std::size_t before = ready_.size();
  timers_.fire_due(now_);
  record(SimEventKind::kTimer, ready_.size() - before);
  after_step();
  return true;
}

void SimScheduler::after_step() {
  if (!after_step_ || in_hook_) return;
  in_hook_ = true;
  try {
    after_step_();
  } catch (...) {
    in_hook_ = false;
    throw;
  }
  in_hook_ = false;
}

void SimScheduler::check_driving() {
  if (halted_) throw SimHalted();
  if (steps_ >= options_.max_steps) {
    throw SimStepLimit("troupe: simulation passed its step limit (" +
                       std::to_string(options_.max_steps) + " steps): a livelock?");
  }
}

bool SimScheduler::step() {
  check_driving();
  if (ready_.empty()) return jump_clock(Instant::max());
  if (options_.time_jump_per_mille > 0 && timers_.size() > 0 &&
      rng_.chance(options_.time_jump_per_mille, 1000)) {
    if (jump_clock(Instant::max())) return true;
  }
  return run_one();
}

std::size_t SimScheduler::run(std::uint64_t max_steps) {
  std::size_t n = 0;
  while (n < max_steps && step()) ++n;
  return n;
}

std::size_t SimScheduler::run_for(Duration d) {
  const Instant target = detail::saturating_add(now_, d);
  std::size_t n = 0;
  for (;;) {
    check_driving();
    if (ready_.empty()) {
      if (!jump_clock(target)) break;
    } else if (options_.time_jump_per_mille > 0 && timers_.size() > 0 &&
               rng_.chance(options_.time_jump_per_mille, 1000) && jump_clock(target)) {
    } else {
      run_one();
    }
    ++n;
  }
  if (target > now_) now_ = target;
  return n;
}

std::size_t SimScheduler::run_until_idle() {
  std::size_t n = 0;
  while (run_one()) ++n;
  return n;
}

void SimScheduler::throw_deadlock() {
  throw std::logic_error(
      "troupe::SimScheduler::block_on: deadlock: no task is ready, no timer is armed, and the "
      "task has not finished (it was cancelled)");
}

void SimScheduler::schedule(detail::TaskHeader& task, detail::ScheduleHint) noexcept {
  if (std::this_thread::get_id() != owner_) {
    std::fputs(
        "troupe::SimScheduler: a task was woken from another thread; a simulation must run "
        "on one thread (the run would not be reproducible)\n",
        stderr);
    std::abort();
  }
  const auto it = ids_.find(&task);
  ready_.push_back(Ready{&task, it == ids_.end() ? 0 : it->second, ++scheduled_});
}

bool SimScheduler::bind(detail::TaskHeader& task) noexcept {
  if (!owned_.bind(task, 0)) return false;
  const std::uint64_t id = ++spawned_;
  try {
    ids_.emplace(&task, id);
    record(SimEventKind::kSpawn, id);
  } catch (...) {  // out of memory: the id only names the task in the trace
  }
  return true;
}

void SimScheduler::unbind(detail::TaskHeader& task) noexcept {
  const auto it = ids_.find(&task);
  if (it != ids_.end()) {
    try {
      record(SimEventKind::kDone, it->second);
    } catch (...) {
    }
    ids_.erase(it);
  }
  owned_.unbind(task);
}

}  // namespace troupe
