#pragma once

#include <atomic>
#include <cstdint>

#include <troupe/runtime/waker.hpp>

namespace troupe::detail {

/// A slot for one Waker that one consumer registers and any number of
/// producers wake, without a lock (the protocol of Rust's AtomicWaker).
///
/// The consumer calls `register_waker` (from one thread at a time) and then
/// re-checks its condition; producers make the condition true and call
/// `wake`. Either the producer finds the waker and wakes it, or the consumer's
/// re-check sees the condition: a wake cannot be lost.
class AtomicWaker {
 public:
  void register_waker(const Waker& w) noexcept {
    std::uint32_t cur = kWaiting;
    if (state_.compare_exchange_strong(cur, kRegistering, std::memory_order_acquire,
                                       std::memory_order_acquire)) {
      if (!waker_.will_wake(w)) waker_ = w;
      cur = kRegistering;
      if (!state_.compare_exchange_strong(cur, kWaiting, std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
        // A wake arrived while registering (state is REGISTERING|WAKING):
        // it could not take the waker, so honour it here.
        Waker taken = std::move(waker_);
        waker_.reset();
        state_.store(kWaiting, std::memory_order_release);
        taken.wake();
      }
    } else if (cur == kWaking) {
      w.wake();  // a wake is in progress; the caller's re-check may miss it
    }
    // Otherwise another register runs concurrently: not allowed, ignored.
  }

  void wake() noexcept {
    if (Waker w = take()) w.wake();
  }

  /// Removes and returns the registered waker, if any.
  Waker take() noexcept {
    if (state_.fetch_or(kWaking, std::memory_order_acq_rel) == kWaiting) {
      Waker w = std::move(waker_);
      waker_.reset();
      state_.fetch_and(~kWaking, std::memory_order_release);
      return w;
    }
    return {};
  }

 private:
  static constexpr std::uint32_t kWaiting = 0;
  static constexpr std::uint32_t kRegistering = 1;
  static constexpr std::uint32_t kWaking = 2;
  std::atomic<std::uint32_t> state_{kWaiting};
  Waker waker_;
};

}  // namespace troupe::detail
