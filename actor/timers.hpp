#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/interval.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe {

/// A scheduled send (send_after, send_interval). Dropping the handle lets
/// the timer run on; `cancel()` stops it (a send already made stays made).
/// Move-only; used by one thread at a time.
class TimerHandle {
 public:
  TimerHandle() noexcept = default;
  explicit TimerHandle(JoinHandle<void> task) noexcept : task_(std::move(task)) {}
  /// Stops the timer: no send starts after this returns. Idempotent.
  void cancel() noexcept {
    if (task_) task_->cancel();
  }
  /// False once the timer has made its last send or has been cancelled.
  bool is_active() const noexcept { return task_ && !task_->is_finished(); }

 private:
  std::optional<JoinHandle<void>> task_;
};

namespace detail {
template <class A, class M>
Task<void> tell_after(Duration delay, ActorRef<A> target, M msg) {
  co_await sleep_for(delay);
  target.tell(std::move(msg));
}
template <class A, class M>
Task<void> tell_every(Duration period, ActorRef<A> target, M msg) {
  Interval ticks = interval(period);
  co_await ticks.tick();  // the first tick is immediate: skip it
  for (;;) {
    co_await ticks.tick();
    if (target.tell(M(msg)) == TellStatus::kDeadActor) co_return;  // nobody left to tell
  }
}
}  // namespace detail

/// Tells `msg` to `target` after `delay`, on the target's runtime. Callable
/// from any thread.
template <class A, class M>
TimerHandle send_after(Duration delay, const ActorRef<A>& target, M msg) {
  return TimerHandle(detail::spawn_on(target.handle().scheduler(),
                                      detail::tell_after(delay, target, std::move(msg))));
}

/// Tells a copy of `msg` to `target` every `period` (the first after one
/// period) until cancelled or the target stops.
template <class A, class M>
TimerHandle send_interval(Duration period, const ActorRef<A>& target, M msg) {
  static_assert(std::is_copy_constructible_v<M>, "send_interval sends copies of the message");
  return TimerHandle(detail::spawn_on(target.handle().scheduler(),
                                      detail::tell_every(period, target, std::move(msg))));
}

}  // namespace troupe
