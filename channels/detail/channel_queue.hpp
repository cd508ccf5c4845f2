#pragma once

#include <deque>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#ifndef TROUPE_CHANNEL_MUTEX_QUEUE
#include <concurrentqueue.h>
#endif

namespace troupe::detail {

/// Where a dequeued item is moved to: constructs it into an optional, so the
/// queue needs T to be move-constructible only (moodycamel dequeues by
/// assignment, which would otherwise need T to be default-constructible and
/// move-assignable too).
template <class T>
class DequeueSlot {
 public:
  explicit DequeueSlot(std::optional<T>& out) noexcept : out_(&out) {}
  DequeueSlot& operator=(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) {
    out_->emplace(std::move(v));
    return *this;
  }

 private:
  std::optional<T>* out_;
};

/// The storage of a channel when built with TROUPE_CHANNEL_MUTEX_QUEUE: a
/// std::deque under a mutex. Slower than moodycamel, but made only of
/// operations ThreadSanitizer understands (moodycamel uses standalone fences,
/// which TSan does not model and reports as races), so a TSan build checks
/// the channel's own protocol without false positives. Thread-safe.
template <class T>
class MutexQueue {
 public:
  /// Throws std::bad_alloc (or what moving T throws); then nothing was added.
  void push(T&& v) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(v));
  }
  /// Moves the oldest item into `out`; false if there is none.
  bool try_pop(std::optional<T>& out) {
    std::lock_guard lock(mutex_);
    if (items_.empty()) return false;
    out.emplace(std::move(items_.front()));
    items_.pop_front();
    return true;
  }

 private:
  std::mutex mutex_;
  std::deque<T> items_;
};

#ifndef TROUPE_CHANNEL_MUTEX_QUEUE
/// The storage of a channel in normal builds: moodycamel::ConcurrentQueue
/// (lock-free, one sub-queue per producing thread). Its try_dequeue is not
/// linearizable: it may fail while items are present (the channel's state
/// word, not this queue, says whether an item exists). FIFO only per
/// producing thread. Thread-safe.
template <class T>
class MoodycamelQueue {
 public:
  void push(T&& v) {
    if (!queue_.enqueue(std::move(v))) throw std::bad_alloc();
  }
  bool try_pop(std::optional<T>& out) {
    DequeueSlot<T> slot(out);
    return queue_.try_dequeue(slot);
  }

 private:
  moodycamel::ConcurrentQueue<T> queue_;
};
#endif

/// The queue behind every channel; the build picks one implementation (see
/// the CMake option TROUPE_CHANNEL_MUTEX_QUEUE). Both offer `push(T&&)` and
/// `try_pop(std::optional<T>&)`.
#ifdef TROUPE_CHANNEL_MUTEX_QUEUE
template <class T>
using ChannelQueue = MutexQueue<T>;
#else
template <class T>
using ChannelQueue = MoodycamelQueue<T>;
#endif

/// Moves the item a receiver has claimed in the channel state into `out`.
/// The claim proves that a completed push is waiting, so a failed try_pop
/// only means that another operation on the queue got in the way: retry
/// (yielding the thread after a while, in case that one was preempted).
template <class T, class Queue>
void pop_claimed(Queue& queue, std::optional<T>& out) {
  for (unsigned spins = 0; !queue.try_pop(out); ++spins) {
    if (spins >= 64) std::this_thread::yield();
  }
}

}  // namespace troupe::detail
