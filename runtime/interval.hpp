#pragma once

#include <optional>
#include <stdexcept>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/timer_registration.hpp>

namespace troupe {

/// What an Interval does when ticks were missed because the task awaited
/// `tick()` too late (it was busy, or the runtime was overloaded). The names
/// and semantics are Tokio's; the default is kBurst, as in Tokio.
enum class MissedTickBehavior {
  /// Catch up: the missed ticks complete back to back, each returning its own
  /// scheduled Instant, until the schedule is on time again. The long-run
  /// tick count matches the elapsed time.
  kBurst,
  /// Restart the schedule: the next tick is one period after the late one
  /// was observed. Ticks never come closer than one period apart.
  kDelay,
  /// Drop the missed ticks: the next tick is the next point of the original
  /// schedule (start + k * period) that is after the late one was observed.
  kSkip,
};

/// A periodic timer: `co_await iv.tick()` completes at start, start + period,
/// start + 2 * period, ... and returns the scheduled Instant of the tick (not
/// the time it was observed, which may be later). Runs on the clock of the
/// scheduler that polls it, so it follows virtual time under a TestExecutor.
///
/// Owned by one task (usually a local of the coroutine that ticks it); not
/// thread-safe. Movable, but not while a tick() future refers to it. The
/// timer is only armed while a tick() is awaited.
class Interval {
 public:
  /// The Future returned by `tick()`; completes with the tick's Instant.
  /// Destroying it while pending disarms the interval's timer (the schedule
  /// is kept; the next tick() re-arms it).
  class [[nodiscard]] Tick {
   public:
    explicit Tick(Interval& iv) noexcept : iv_(&iv) {}
    Tick(const Tick&) = delete;
    Tick& operator=(const Tick&) = delete;
    ~Tick() {
      if (pending_) iv_->timer_.disarm();
    }
    bool poll(Context& cx) noexcept {
      if (done_) return true;  // polled again after completing: no second tick
      done_ = iv_->poll_tick(cx, tick_);
      pending_ = !done_;
      return done_;
    }
    Instant await_resume() const noexcept { return tick_; }

   private:
    Interval* iv_;
    Instant tick_{};
    bool pending_ = false;
    bool done_ = false;
  };

  /// First tick at `start` (the first poll, if empty), then every `period`.
  /// Throws std::invalid_argument if `period` is not positive.
  Interval(std::optional<Instant> start, Duration period) : period_(period) {
    if (period <= Duration::zero()) {
      throw std::invalid_argument("troupe::Interval: the period must be positive");
    }
    if (start) {
      timer_.set_deadline(*start);
      scheduled_ = true;
    }
  }

  /// A future for the next tick.
  Tick tick() noexcept { return Tick(*this); }

  /// Restarts the schedule: the next tick comes one period after the next
  /// poll of tick().
  void reset() noexcept {
    timer_.disarm();
    scheduled_ = false;
    delay_first_ = true;
  }

  Duration period() const noexcept { return period_; }
  MissedTickBehavior missed_tick_behavior() const noexcept { return behavior_; }
  void set_missed_tick_behavior(MissedTickBehavior b) noexcept { behavior_ = b; }

  /// Polls for the next tick: true (and `tick` set to its Instant) when it
  /// is due, after which the schedule moves on by one tick. The building
  /// block of Tick, for hand-written futures.
  bool poll_tick(Context& cx, Instant& tick) noexcept {
    if (!scheduled_) {
      const Instant now = cx.scheduler().now();
      timer_.set_deadline(delay_first_ ? detail::saturating_add(now, period_) : now);
      scheduled_ = true;
      delay_first_ = false;
    }
    if (!timer_.poll(cx)) return false;
    tick = timer_.deadline();
    timer_.set_deadline(next_after(tick, cx.scheduler().now()));
    return true;
  }

 private:
  Instant next_after(Instant tick, Instant now) const noexcept {
    switch (behavior_) {
      case MissedTickBehavior::kBurst:
        break;
      case MissedTickBehavior::kDelay:
        return detail::saturating_add(now, period_);
      case MissedTickBehavior::kSkip:
        if (now > tick) return detail::saturating_add(now, period_ - (now - tick) % period_);
        break;
    }
    return detail::saturating_add(tick, period_);
  }

  Duration period_;
  MissedTickBehavior behavior_ = MissedTickBehavior::kBurst;
  detail::TimerRegistration timer_;
  bool scheduled_ = false;    // timer_ holds the next tick's deadline
  bool delay_first_ = false;  // after reset(): start one period after the next poll
};

/// Ticks every `period`; the first tick completes at once (when first
/// awaited). Missed ticks burst (see MissedTickBehavior).
inline Interval interval(Duration period) { return Interval(std::nullopt, period); }

/// Ticks at `start`, then every `period`.
inline Interval interval_at(Instant start, Duration period) { return Interval(start, period); }

}  // namespace troupe
