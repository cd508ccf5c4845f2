#pragma once

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/future.hpp>

namespace troupe::detail {

/// A leaf Future over two others that is ready as soon as either is: the
/// minimal `select` that timeout() needs. `a` is polled first, so when both
/// are ready it wins. Both register the task's waker; the one that did not
/// win keeps its registration until its owner drops it, which at worst costs
/// a spurious wake. Borrows both futures (they must outlive it); used by one
/// task, like any future.
template <class A, class B>
class FirstReady {
 public:
  FirstReady(A& a, B& b) noexcept : a_(a), b_(b) {}
  bool poll(Context& cx) noexcept {
    if (a_.poll(cx)) {
      a_won_ = true;
      return true;
    }
    return b_.poll(cx);
  }
  /// True if `a` was ready, false if `b` was. Neither's await_resume() has
  /// been called: the caller takes the winner's value by awaiting it again.
  bool await_resume() const noexcept { return a_won_; }

 private:
  A& a_;
  B& b_;
  bool a_won_ = false;
};

/// A Future that is ready at once with the Scheduler of the task that awaits
/// it: how a coroutine finds where to spawn its helpers without relying on
/// thread-local state.
class CurrentScheduler {
 public:
  bool poll(Context& cx) noexcept {
    scheduler_ = &cx.scheduler();
    return true;
  }
  Scheduler& await_resume() const noexcept { return *scheduler_; }

 private:
  Scheduler* scheduler_ = nullptr;
};

}  // namespace troupe::detail
