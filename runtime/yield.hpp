#pragma once

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/task_header.hpp>

namespace troupe {

/// The Future behind `co_await yield_now()`: gives the worker to the other
/// runnable tasks once, then resumes.
///
/// Its first poll wakes its own (running) task, which marks it NOTIFIED, and
/// says "pending"; when that run ends the scheduler puts the task at the back
/// of its run queue (ScheduleHint::kYield, never the LIFO slot), so every task
/// that was already runnable runs first. The next poll is ready. Owned by the
/// awaiting coroutine; not thread-safe. Holds no registration, so destroying
/// it while pending needs no cleanup.
class [[nodiscard]] Yield {
 public:
  bool poll(Context& cx) noexcept {
    if (yielded_) return true;
    yielded_ = true;
    cx.task().wake();
    return false;
  }
  void await_resume() const noexcept {}

 private:
  bool yielded_ = false;
};

/// Lets the other runnable tasks run before this one continues: a
/// cooperative scheduling point for long computations.
inline Yield yield_now() noexcept { return {}; }

}  // namespace troupe
