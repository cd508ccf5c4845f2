#pragma once

#include <troupe/runtime/detail/task_header.hpp>
#include <troupe/runtime/waker.hpp>

namespace troupe {

namespace detail {
class Scheduler;
}

/// What a Future sees when it is polled: the task polling it, as a Waker
/// source and as a way to reach that task's scheduler (clock, timers,
/// reactor). Borrowed for the duration of one poll; copy the Waker to keep it.
class Context {
 public:
  explicit Context(detail::TaskHeader& task) noexcept : task_(&task) {}

  /// A Waker that reschedules the polling task (takes a reference).
  Waker waker() const noexcept { return Waker::retain(task_); }
  /// True if `w` already wakes the polling task (no need to replace it).
  bool will_wake(const Waker& w) const noexcept { return w.will_wake(task_); }
  detail::Scheduler& scheduler() const noexcept { return *task_->scheduler; }
  detail::TaskHeader& task() const noexcept { return *task_; }

 private:
  detail::TaskHeader* task_;
};

}  // namespace troupe
