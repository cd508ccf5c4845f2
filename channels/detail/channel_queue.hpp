#pragma once

#include <cstddef>
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
///
/// Same interface as MoodycamelQueue, tokens included; they carry nothing
/// here, since one deque is FIFO for every producer anyway.
template <class T>
class MutexQueue {
 public:
  /// A producer's token (see MoodycamelQueue::ProducerToken).
  class ProducerToken {
   public:
    explicit ProducerToken(MutexQueue&) noexcept {}
  };
  /// A consumer's token (see MoodycamelQueue::ConsumerToken).
  class ConsumerToken {
   public:
    explicit ConsumerToken(MutexQueue&) noexcept {}
  };

  /// Throws std::bad_alloc (or what moving T throws); then nothing was added.
  void push(T&& v) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(v));
  }
  void push(ProducerToken&, T&& v) { push(std::move(v)); }
  /// Moves the oldest item into `out`; false if there is none. If moving it
  /// throws, the item is gone all the same (as with moodycamel).
  bool try_pop(std::optional<T>& out) {
    std::lock_guard lock(mutex_);
    if (items_.empty()) return false;
    // Reset apart from emplace: inlined into a caller, emplace's own reset
    // draws a false -Wmaybe-uninitialized from g++ 12 at -O1 (TSan builds).
    out.reset();
    try {
      out.emplace(std::move(items_.front()));
    } catch (...) {
      items_.pop_front();
      throw;
    }
    items_.pop_front();
    return true;
  }
  bool try_pop(ConsumerToken&, std::optional<T>& out) { return try_pop(out); }

 private:
  std::mutex mutex_;
  std::deque<T> items_;
};

#ifndef TROUPE_CHANNEL_MUTEX_QUEUE
/// moodycamel's defaults, but for the index of each producer's blocks, which
/// starts with room for 4 blocks instead of 32 (it grows when needed): every
/// Sender that sends owns a sub-queue, and this cuts what an idle one costs
/// from 1,027 to 643 bytes (int64 items).
struct ChannelQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const std::size_t EXPLICIT_INITIAL_INDEX_SIZE = 4;
};

/// The storage of a channel in normal builds: moodycamel::ConcurrentQueue
/// (lock-free, one sub-queue per producer). Its try_dequeue is not
/// linearizable: it may fail while items are present (the channel's state
/// word, not this queue, says whether an item exists). Thread-safe; each
/// token is used by one thread at a time.
///
/// Items pushed through one ProducerToken go into that token's own
/// sub-queue, in order, whatever thread pushes them; without a token they go
/// into the pushing thread's sub-queue (found through a hash of the thread
/// id, which costs more). A ConsumerToken remembers which sub-queue its
/// owner last took from, instead of scanning them all.
template <class T>
class MoodycamelQueue {
  using Queue = moodycamel::ConcurrentQueue<T, ChannelQueueTraits>;

 public:
  /// One producer's sub-queue: made on first use by a Sender, kept for its
  /// life (the queue recycles it afterwards). Must be destroyed before the
  /// queue. Throws std::bad_alloc if the sub-queue cannot be made.
  class ProducerToken {
   public:
    explicit ProducerToken(MoodycamelQueue& q) : token_(q.queue_) {
      if (!token_.valid()) throw std::bad_alloc();
    }

   private:
    friend class MoodycamelQueue;
    moodycamel::ProducerToken token_;
  };
  /// One consumer's place among the sub-queues.
  class ConsumerToken {
   public:
    explicit ConsumerToken(MoodycamelQueue& q) noexcept : token_(q.queue_) {}

   private:
    friend class MoodycamelQueue;
    moodycamel::ConsumerToken token_;
  };

  void push(T&& v) {
    if (!queue_.enqueue(std::move(v))) throw std::bad_alloc();
  }
  void push(ProducerToken& t, T&& v) {
    if (!queue_.enqueue(t.token_, std::move(v))) throw std::bad_alloc();
  }
  bool try_pop(std::optional<T>& out) {
    DequeueSlot<T> slot(out);
    return queue_.try_dequeue(slot);
  }
  bool try_pop(ConsumerToken& t, std::optional<T>& out) {
    DequeueSlot<T> slot(out);
    return queue_.try_dequeue(t.token_, slot);
  }

 private:
  Queue queue_;
};
#endif

/// The queue behind every channel; the build picks one implementation (see
/// the CMake option TROUPE_CHANNEL_MUTEX_QUEUE). Both offer `push(T&&)`,
/// `try_pop(std::optional<T>&)`, and their forms with a ProducerToken or a
/// ConsumerToken.
#ifdef TROUPE_CHANNEL_MUTEX_QUEUE
template <class T>
using ChannelQueue = MutexQueue<T>;
#else
template <class T>
using ChannelQueue = MoodycamelQueue<T>;
#endif

/// Moves an item into `out` that is known to be in the queue or about to be
/// (a push in progress), through `token` if not null: moodycamel's try_pop
/// may fail while items are present, when another operation on the queue
/// gets in the way, so retry, yielding the thread after a while (in case
/// that one was preempted).
template <class T, class Queue>
void pop_claimed(Queue& queue, typename Queue::ConsumerToken* token, std::optional<T>& out) {
  for (unsigned spins = 0; !(token ? queue.try_pop(*token, out) : queue.try_pop(out)); ++spins) {
    if (spins >= 64) std::this_thread::yield();
  }
}
template <class T, class Queue>
void pop_claimed(Queue& queue, std::optional<T>& out) {
  pop_claimed(queue, static_cast<typename Queue::ConsumerToken*>(nullptr), out);
}

}  // namespace troupe::detail
