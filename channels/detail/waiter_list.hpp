#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>

#include <troupe/runtime/waker.hpp>

namespace troupe::detail {

/// One parked send or recv: a node that lives inside the waiting future, so
/// parking allocates nothing. Every field is guarded by the mutex of the
/// WaiterList it is enlisted in; the future only reads them through the list.
struct ChannelWaiter {
  ChannelWaiter* prev = nullptr;
  ChannelWaiter* next = nullptr;
  Waker waker;
  std::uint64_t ticket = 0;  // enlist order, bounds notify_all
  bool linked = false;
  /// Handed a wake by notify_one/notify_all (and unlinked) since it was last
  /// enlisted. A future that is destroyed with this set owes that wake to
  /// another waiter.
  bool notified = false;
};

/// The parked senders (or receivers) of one channel, in FIFO order: an
/// intrusive list of ChannelWaiter nodes under a mutex.
///
/// The mutex is off the fast path: `waiting_` counts the linked nodes, and a
/// notifier that reads 0 takes no lock. That read is the second half of a
/// Dekker pattern with the channel's state word: a waiter enlists (count up,
/// seq_cst) and then re-checks the state; a notifier changes the state
/// (seq_cst) and then reads the count. So either the waiter's re-check sees
/// the change, or the notifier sees the waiter.
///
/// Wakers are always called outside the mutex. Thread-safe; each node is
/// enlisted and removed by its owning future only.
class WaiterList {
 public:
  WaiterList() = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;

  /// Links `w` at the back (it keeps its place if already linked) with a
  /// waker from `cx` and clears its notified flag: a waiter that enlists
  /// again has tried and failed, so the wake it was handed is spent. The
  /// caller must re-check its condition after this returns.
  template <class Cx>
  void enlist(ChannelWaiter& w, const Cx& cx) noexcept {
    Waker old;  // released outside the lock
    {
      std::lock_guard lock(mutex_);
      w.notified = false;
      if (!cx.will_wake(w.waker)) {
        old = std::move(w.waker);
        w.waker = cx.waker();
      }
      if (!w.linked) {
        w.ticket = next_ticket_++;
        w.prev = tail_;
        w.next = nullptr;
        (tail_ ? tail_->next : head_) = &w;
        tail_ = &w;
        w.linked = true;
        waiting_.fetch_add(1, std::memory_order_seq_cst);
      }
    }
  }

  /// Unlinks `w` if it is linked and drops its waker. Returns whether it had
  /// been notified: the caller decides whether that wake must be passed on.
  bool remove(ChannelWaiter& w) noexcept {
    Waker old;
    bool notified;
    {
      std::lock_guard lock(mutex_);
      if (w.linked) unlink(w);
      notified = std::exchange(w.notified, false);
      old = std::move(w.waker);
    }
    return notified;
  }

  /// Wakes the oldest waiter, if any (and marks it notified).
  void notify_one() noexcept {
    if (waiting_.load(std::memory_order_seq_cst) == 0) return;
    Waker w;
    {
      std::lock_guard lock(mutex_);
      if (head_ == nullptr) return;
      w = pop_front();
    }
    w.wake();
  }

  /// Wakes every waiter enlisted before this call. Waiters that enlist again
  /// meanwhile (they were woken, re-checked and parked anew) are left alone,
  /// so this ends even while they keep coming back.
  void notify_all() noexcept {
    if (waiting_.load(std::memory_order_seq_cst) == 0) return;
    std::uint64_t limit;
    {
      std::lock_guard lock(mutex_);
      limit = next_ticket_;
    }
    for (;;) {
      Waker w;
      {
        std::lock_guard lock(mutex_);
        if (head_ == nullptr || head_->ticket >= limit) return;
        w = pop_front();
      }
      w.wake();
    }
  }

  /// Linked waiters right now (a snapshot).
  std::size_t size() const noexcept { return waiting_.load(std::memory_order_seq_cst); }

 private:
  void unlink(ChannelWaiter& w) noexcept {
    (w.prev ? w.prev->next : head_) = w.next;
    (w.next ? w.next->prev : tail_) = w.prev;
    w.prev = w.next = nullptr;
    w.linked = false;
    waiting_.fetch_sub(1, std::memory_order_seq_cst);
  }

  Waker pop_front() noexcept {
    ChannelWaiter& w = *head_;
    unlink(w);
    w.notified = true;
    return std::move(w.waker);
  }

  std::mutex mutex_;
  ChannelWaiter* head_ = nullptr;
  ChannelWaiter* tail_ = nullptr;
  std::uint64_t next_ticket_ = 0;
  std::atomic<std::size_t> waiting_{0};
};

}  // namespace troupe::detail
