#pragma once

#include <optional>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/timer_registration.hpp>

namespace troupe {

/// A Future that becomes ready once its deadline has passed on the clock of
/// the scheduler that polls it (virtual time under a TestExecutor): what
/// `co_await sleep_for(d)` and `co_await sleep_until(t)` wait on.
///
/// Owned by the awaiting coroutine (usually a temporary in the co_await
/// expression). Destroying or resetting it removes its timer, so a cancelled
/// sleeper leaves nothing behind in the timer queue. Movable, also while
/// armed (the timer moves along), but never while a task is suspended on it.
/// Not thread-safe: one task polls it.
class [[nodiscard]] Sleep {
 public:
  /// Ready at `deadline`.
  explicit Sleep(Instant deadline) noexcept : timer_(deadline) {}
  /// Ready `d` after the instant of its first poll (at once if d <= 0).
  static Sleep after(Duration d) noexcept { return Sleep(d); }

  bool poll(Context& cx) noexcept {
    if (pending_duration_) {
      timer_.set_deadline(detail::saturating_add(cx.scheduler().now(), *pending_duration_));
      pending_duration_.reset();
    }
    return timer_.poll(cx);
  }
  void await_resume() const noexcept {}

  /// The deadline; empty for a relative sleep that has not been polled yet.
  std::optional<Instant> deadline() const noexcept {
    if (pending_duration_) return std::nullopt;
    return timer_.deadline();
  }
  /// True once a poll has seen the deadline pass.
  bool is_elapsed() const noexcept { return timer_.elapsed(); }
  /// Gives the sleep a new deadline (earlier or later, even after it
  /// elapsed); it takes effect at the next poll.
  void reset(Instant deadline) noexcept {
    pending_duration_.reset();
    timer_.set_deadline(deadline);
  }

 private:
  explicit Sleep(Duration d) noexcept : pending_duration_(d) {}

  std::optional<Duration> pending_duration_;  // set until the first poll of a relative sleep
  detail::TimerRegistration timer_;
};

/// Sleeps for `d`, measured from the moment the sleep is first polled
/// (i.e. when the `co_await` starts). `d <= 0` completes without suspending.
inline Sleep sleep_for(Duration d) noexcept { return Sleep::after(d); }

/// Sleeps until `deadline`; a deadline in the past completes without
/// suspending.
inline Sleep sleep_until(Instant deadline) noexcept { return Sleep(deadline); }

}  // namespace troupe
