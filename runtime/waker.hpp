#pragma once

#include <utility>

#include <troupe/runtime/detail/wake_target.hpp>

namespace troupe {

/// A handle that makes one suspended task (or a blocked thread) runnable again.
///
/// Owns a counted reference to its target, so a Waker stays valid after the
/// task completes or is cancelled: waking it then does nothing. Copyable and
/// movable; `wake()` may be called from any thread, any number of times. Two
/// wakes in a row resume the task at most once per suspension.
class Waker {
 public:
  Waker() noexcept = default;
  /// Adopts one reference that the caller already holds on `target`.
  static Waker adopt(detail::WakeTarget* target) noexcept { return Waker(target); }
  /// Takes a new reference on `target`.
  static Waker retain(detail::WakeTarget* target) noexcept {
    target->retain();
    return Waker(target);
  }

  Waker(const Waker& other) noexcept : target_(other.target_) {
    if (target_) target_->retain();
  }
  Waker(Waker&& other) noexcept : target_(std::exchange(other.target_, nullptr)) {}
  Waker& operator=(Waker other) noexcept {
    std::swap(target_, other.target_);
    return *this;
  }
  ~Waker() {
    if (target_) target_->release();
  }

  /// Reschedules the target; keeps this Waker usable.
  void wake() const noexcept {
    if (target_) target_->wake();
  }
  /// Reschedules the target and gives up this Waker's reference.
  void wake_and_reset() noexcept {
    if (auto* t = std::exchange(target_, nullptr)) {
      t->wake();
      t->release();
    }
  }
  /// True when both wake the same target: lets a future skip re-registering.
  bool will_wake(const Waker& other) const noexcept { return target_ == other.target_; }
  bool will_wake(const detail::WakeTarget* target) const noexcept { return target_ == target; }
  explicit operator bool() const noexcept { return target_ != nullptr; }
  void reset() noexcept { Waker().swap(*this); }
  void swap(Waker& other) noexcept { std::swap(target_, other.target_); }

 private:
  explicit Waker(detail::WakeTarget* t) noexcept : target_(t) {}
  detail::WakeTarget* target_ = nullptr;
};

}  // namespace troupe
