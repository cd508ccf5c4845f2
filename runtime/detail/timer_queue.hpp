#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/waker.hpp>

namespace troupe::detail {

/// Pending deadlines of one scheduler: a binary min-heap of entries that live
/// inside the timer futures themselves (no allocation per timer beyond the
/// heap's slot). Thread-safe: futures arm and disarm from workers, the driver
/// fires due entries. Wakers are called outside the lock.
class TimerQueue {
 public:
  /// One deadline. Owned by a timer future; must be disarmed before it dies.
  struct Entry {
    Instant deadline{};
    Waker waker;
    std::size_t index = kNone;  // position in the heap, kNone when not in it
    bool fired = false;
  };
  static constexpr std::size_t kNone = ~std::size_t{0};

  /// `on_earlier` is called (outside the lock) with the new deadline when an
  /// arm makes the earliest deadline earlier, so that a sleeping driver can
  /// recompute its timeout if it would sleep past it.
  explicit TimerQueue(std::function<void(Instant)> on_earlier = {})
      : on_earlier_(std::move(on_earlier)) {}

  /// Registers `e` (or refreshes its waker). True if it already fired.
  bool arm(Entry& e, const Waker& w);
  /// Removes `e` if it is still pending.
  void disarm(Entry& e) noexcept;
  /// Fires every entry due at `now`; returns the next deadline, if any.
  std::optional<Instant> fire_due(Instant now);
  std::optional<Instant> next_deadline() const;
  std::size_t size() const;

 private:
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void remove_at(std::size_t i) noexcept;
  void place(std::size_t i, Entry* e) noexcept {
    heap_[i] = e;
    e->index = i;
  }

  mutable std::mutex mutex_;
  std::vector<Entry*> heap_;
  std::function<void(Instant)> on_earlier_;
};

}  // namespace troupe::detail
