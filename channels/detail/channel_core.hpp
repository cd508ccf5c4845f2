#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include <troupe/channels/detail/channel_outcome.hpp>
#include <troupe/channels/detail/channel_queue.hpp>
#include <troupe/channels/detail/channel_state.hpp>
#include <troupe/channels/detail/waiter_list.hpp>

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
///   - a publish (an item became claimable) wakes one parked receiver;
///   - a claim or unreserve (a slot became free) wakes one parked sender;
///   - close wakes every parked sender and receiver;
///   - the claim or unreserve that leaves a closed channel drained wakes
///     every parked receiver (they were waiting for in-flight sends);
///   - a future destroyed after it was handed a wake, without acting on it,
///     passes the wake to the next waiter of its list.
/// Waiters enlist, then re-check (see WaiterList for why that is enough).
template <class T>
class ChannelCore {
 public:
  using Word = ChannelState::Word;

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

  /// Sends `value` if there is room. Moves from `value` only on kDone.
  /// Throws (std::bad_alloc, or what moving T throws) if the queue cannot
  /// take the item; then its slot is given back.
  ChannelOutcome try_send(T& value) {
    switch (state_.reserve(capacity_)) {
      case ChannelState::Reserve::kFull:
        return ChannelOutcome::kWouldBlock;
      case ChannelState::Reserve::kClosed:
        return ChannelOutcome::kClosed;
      case ChannelState::Reserve::kReserved:
        break;
    }
    try {
      queue_.push(std::move(value));
    } catch (...) {
      slot_freed(state_.unreserve());
      throw;
    }
    state_.publish();
    receivers_waiting_.notify_one();
    return ChannelOutcome::kDone;
  }

  /// Takes one item into `out` if one is ready. Throws only what moving T
  /// throws (that item is then lost; the channel stays consistent).
  ChannelOutcome try_recv(std::optional<T>& out) {
    Word after;
    switch (state_.claim(after)) {
      case ChannelState::Claim::kEmpty:
        return ChannelOutcome::kWouldBlock;
      case ChannelState::Claim::kClosed:
        return ChannelOutcome::kClosed;
      case ChannelState::Claim::kClaimed:
        break;
    }
    slot_freed(after);  // before the dequeue, which may throw
    pop_claimed(queue_, out);
    return ChannelOutcome::kDone;
  }

  /// Refuses every later send and wakes all waiters. Idempotent.
  void close() noexcept {
    if (state_.close()) {
      receivers_waiting_.notify_all();
      senders_waiting_.notify_all();
    }
  }

  bool is_closed() const noexcept { return ChannelState::closed(state_.load()); }
  /// Items ready to be received right now (a snapshot).
  std::size_t size() const noexcept { return ChannelState::ready(state_.load()); }
  std::size_t capacity() const noexcept { return capacity_; }

  WaiterList& senders_waiting() noexcept { return senders_waiting_; }
  WaiterList& receivers_waiting() noexcept { return receivers_waiting_; }

 private:
  explicit ChannelCore(Word capacity) noexcept : capacity_(capacity) {}
  ~ChannelCore() = default;

  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // A slot was given back; `after` is the state word that left behind.
  void slot_freed(Word after) noexcept {
    senders_waiting_.notify_one();
    if (ChannelState::drained(after)) receivers_waiting_.notify_all();
  }

  // The last Receiver is gone: nobody can take what is queued, so destroy it
  // now rather than with the channel (the Senders may live on for long).
  // Items of sends still copying when the channel closed stay until then.
  void discard_ready() noexcept {
    for (;;) {
      std::optional<T> item;
      try {
        if (try_recv(item) != ChannelOutcome::kDone) return;
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
