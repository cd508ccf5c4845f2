#pragma once

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/timer_queue.hpp>
#include <troupe/runtime/waker.hpp>

namespace troupe::detail {

/// `base + d`, clamped to the clock's range, so that `sleep_for(Duration::max())`
/// means "forever" instead of overflowing into the past.
constexpr Instant saturating_add(Instant base, Duration d) noexcept {
  if (d > Duration::zero() && base > Instant::max() - d) return Instant::max();
  if (d < Duration::zero() && base < Instant::min() - d) return Instant::min();
  return base + d;
}

/// The deadline of one timer future (Sleep, Interval): joins the polling
/// task's TimerQueue when polled before the deadline, and leaves it when
/// disarmed, given a new deadline, moved from, or destroyed.
///
/// Owned by its future and used by one task at a time (not thread-safe
/// itself); the TimerQueue, which fires the entry from the driver thread, is.
/// Every field the queue shares is only touched after a call into the queue
/// (arm/disarm, under its lock) has shown that the entry is out of the heap.
class TimerRegistration {
 public:
  TimerRegistration() noexcept = default;
  explicit TimerRegistration(Instant deadline) noexcept { entry_.deadline = deadline; }
  /// Takes over `other`'s deadline; if `other` was armed, this one is armed
  /// in its place with the same waker (or is already elapsed if it fired).
  TimerRegistration(TimerRegistration&& other) noexcept;
  TimerRegistration& operator=(TimerRegistration&& other) noexcept;
  TimerRegistration(const TimerRegistration&) = delete;
  TimerRegistration& operator=(const TimerRegistration&) = delete;
  ~TimerRegistration() { disarm(); }

  /// True once the deadline has passed on cx's scheduler (and stays true
  /// until set_deadline); otherwise the entry is armed with cx's waker.
  bool poll(Context& cx) noexcept;
  /// Leaves the queue, keeping the deadline: the next poll re-arms.
  void disarm() noexcept;
  /// Replaces the deadline and forgets that the old one elapsed.
  void set_deadline(Instant deadline) noexcept;

  Instant deadline() const noexcept { return entry_.deadline; }
  /// True once a poll has seen the deadline pass.
  bool elapsed() const noexcept { return elapsed_; }
  /// True while the entry may be in a TimerQueue.
  bool armed() const noexcept { return armed_; }

 private:
  void take_from(TimerRegistration& other) noexcept;

  TimerQueue::Entry entry_;
  TimerQueue* queue_ = nullptr;  // where entry_ was last armed
  Waker waker_;                  // our copy of entry_.waker, to re-arm after a move
  bool armed_ = false;
  bool elapsed_ = false;
};

}  // namespace troupe::detail
