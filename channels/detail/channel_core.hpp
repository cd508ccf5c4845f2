#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <thread>
#include <utility>

#include <troupe/channels/detail/channel_outcome.hpp>
#include <troupe/channels/detail/channel_queue.hpp>
#include <troupe/channels/detail/channel_state.hpp>
#include <troupe/channels/detail/handle_token.hpp>
#include <troupe/channels/detail/waiter_list.hpp>
#include <troupe/runtime/detail/cpu_relax.hpp>

namespace troupe::detail {

/// The state shared by all the Senders and Receivers of one channel: the
/// queue, the state word that counts what is in it, and the two waiter
/// lists (senders parked on a full channel, receivers on an empty one).
///
/// Heap-allocated by the factory functions and owned jointly by the handles
/// (one reference each); futures borrow it from the handle they came from.
/// The last Sender to go closes the channel; the last Receiver to go closes
/// it and destroys the items left in it. Thread-safe.
///
/// Who wakes whom (the no-lost-wake rules):
///   - a send, once its item is in the queue, wakes one parked receiver;
///   - an item taken out, or a failed send that gives its slot back, wakes
///     one parked sender;
///   - close wakes every parked sender and receiver;
///   - a future destroyed after it was handed a wake, without acting on it,
///     passes the wake to the next waiter of its list.
/// Receivers never park for a send in progress: `items` counts it from its
/// reserve on, and a receiver only parks once `items == 0` (see
/// ChannelState). Waiters enlist, then re-check (see WaiterList for why that
/// is enough).
template <class T>
class ChannelCore {
 public:
  using Word = ChannelState::Word;
  /// A Sender's own sub-queue: its sends stay in order whatever threads it
  /// sends from, and skip the queue's lookup of the thread's sub-queue.
  using SenderToken = HandleToken<typename ChannelQueue<T>::ProducerToken>;
  /// A Receiver's place among the sub-queues.
  using ReceiverToken = HandleToken<typename ChannelQueue<T>::ConsumerToken>;

  /// A channel of `capacity` slots, held by one Sender and one Receiver.
  static ChannelCore* make(Word capacity) { return new ChannelCore(capacity); }

  ChannelCore(const ChannelCore&) = delete;
  ChannelCore& operator=(const ChannelCore&) = delete;

  // --- Handles ---------------------------------------------------------------

  void add_sender() noexcept {
    senders_.fetch_add(1, std::memory_order_relaxed);
    refs_.fetch_add(1, std::memory_order_relaxed);
  }
  void add_receiver() noexcept {
    receivers_.fetch_add(1, std::memory_order_relaxed);
    refs_.fetch_add(1, std::memory_order_relaxed);
  }
  void drop_sender() noexcept {
    if (senders_.fetch_sub(1, std::memory_order_acq_rel) == 1) close();
    release();
  }
  void drop_receiver() noexcept {
    if (receivers_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      close();
      discard_ready();
    }
    release();
  }

  // --- Operations ------------------------------------------------------------

  /// Sends `value` through `token` if there is room. Moves from `value`
  /// only on kDone. Throws (std::bad_alloc, or what moving T throws) if the
  /// queue cannot take the item; then its slot is given back.
  ChannelOutcome try_send(T& value, SenderToken& token) {
    {
      // The token is taken (and on the first send made, which may throw)
      // before the reserve: from the reserve on, the item counts as on its
      // way and receivers that miss it spin until it lands, so nothing but
      // the push goes between the two (taking the token in between: 0.87 of
      // channel_mpmc's rate).
      auto& t = token.lock(queue_);
      struct Unlock {
        SenderToken& token;
        ~Unlock() { token.unlock(); }
      } unlock{token};
      switch (state_.reserve(capacity_)) {
        case ChannelState::Reserve::kFull:
          return ChannelOutcome::kWouldBlock;
        case ChannelState::Reserve::kClosed:
          return ChannelOutcome::kClosed;
        case ChannelState::Reserve::kReserved:
          break;
      }
      try {
        queue_.push(t, std::move(value));
      } catch (...) {
        state_.release();
        senders_waiting_.notify_one();  // its slot is free again
        throw;
      }
    }
    receivers_waiting_.notify_one();
    return ChannelOutcome::kDone;
  }

  /// Takes one item into `out` if one is ready, through `token` unless it is
  /// null or in use on another thread. Throws only what moving T throws
  /// (that item is then lost; the channel stays consistent).
  ChannelOutcome try_recv(std::optional<T>& out, ReceiverToken* token) {
    typename ChannelQueue<T>::ConsumerToken* t = token ? token->try_lock(queue_) : nullptr;
    struct Unlock {
      ReceiverToken* token;
      ~Unlock() {
        if (token) token->unlock();
      }
    } unlock{t ? token : nullptr};
    for (unsigned spins = 0;; ++spins) {
      bool taken;
      try {
        taken = t ? queue_.try_pop(*t, out) : queue_.try_pop(out);
      } catch (...) {
        item_left();  // moving it out threw: it is gone all the same
        throw;
      }
      if (taken) {
        item_left();
        return ChannelOutcome::kDone;
      }
      // The dequeue failed, which does not mean empty: `items` says (see
      // ChannelState). Retry while an item is on its way.
      const Word w = state_.load();
      if (ChannelState::items(w) == 0) {
        return ChannelState::closed(w) ? ChannelOutcome::kClosed : ChannelOutcome::kWouldBlock;
      }
      if (spins >= 64) {
        std::this_thread::yield();  // its thread may have been preempted
      } else {
        cpu_relax();
      }
    }
  }

  /// Refuses every later send and wakes all waiters. Idempotent.
  void close() noexcept {
    if (state_.close()) {
      receivers_waiting_.notify_all();
      senders_waiting_.notify_all();
    }
  }

  bool is_closed() const noexcept { return ChannelState::closed(state_.load()); }
  /// Items sent and not yet received right now (a snapshot).
  std::size_t size() const noexcept { return ChannelState::items(state_.load()); }
  std::size_t capacity() const noexcept { return capacity_; }

  WaiterList& senders_waiting() noexcept { return senders_waiting_; }
  WaiterList& receivers_waiting() noexcept { return receivers_waiting_; }

 private:
  explicit ChannelCore(Word capacity) noexcept : capacity_(capacity) {}
  ~ChannelCore() = default;

  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // An item was taken out of the queue: frees its slot.
  void item_left() noexcept {
    state_.release();
    senders_waiting_.notify_one();
  }

  // The last Receiver is gone: nobody can take what is queued, so destroy it
  // now rather than with the channel (the Senders may live on for long).
  // The channel is closed: receiving ends with kClosed once every accepted
  // send (also one still being enqueued) has been taken.
  void discard_ready() noexcept {
    for (;;) {
      std::optional<T> item;
      try {
        if (try_recv(item, nullptr) == ChannelOutcome::kClosed) return;
      } catch (...) {
        // Moving an item out threw: it is lost either way. Carry on.
      }
    }
  }

  // Every send and receive writes state_ and reads the waiter counts, which
  // change only when someone parks: separate cache lines, so the reads do
  // not miss on every write of the state word (nor on the queue's indices).
  const Word capacity_;
  alignas(64) ChannelState state_;
  alignas(64) ChannelQueue<T> queue_;
  alignas(64) WaiterList senders_waiting_;
  WaiterList receivers_waiting_;
  std::atomic<std::size_t> senders_{1};
  std::atomic<std::size_t> receivers_{1};
  std::atomic<std::size_t> refs_{2};
};

}  // namespace troupe::detail
