#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/channels/detail/channel_outcome.hpp>
#include <troupe/channels/detail/handle_token.hpp>
#include <troupe/channels/detail/mpsc_queue.hpp>
#include <troupe/channels/detail/waiter_list.hpp>
#include <troupe/runtime/detail/atomic_waker.hpp>

namespace troupe::detail {

/// The state shared by the Senders and the one Receiver of an ordered
/// multi-producer single-consumer channel: an MpscQueue of heap nodes that
/// each hold one T (see MpscQueue for the ordering and the protocol), and
/// the handle counts.
///
/// Heap-allocated by the factories and owned jointly by the handles. The
/// last Sender to go closes the channel; the Receiver going closes it and
/// destroys the queued items. Thread-safe, except that the receive side is
/// used by one consumer at a time (it is the single consumer).
template <class T>
class MpscCore {
 public:
  static constexpr std::size_t kUnbounded = MpscQueue<>::kUnbounded;
  /// Senders need no token: the queue keeps every sender's order itself.
  using SenderToken = NoHandleToken;

  /// A channel of `capacity` slots (kUnbounded: no bound), held by one
  /// Sender and the Receiver.
  static MpscCore* make(std::size_t capacity) { return new MpscCore(capacity); }

  MpscCore(const MpscCore&) = delete;
  MpscCore& operator=(const MpscCore&) = delete;

  // --- Handles ---------------------------------------------------------------

  void add_sender() noexcept {
    senders_.fetch_add(1, std::memory_order_relaxed);
    refs_.fetch_add(1, std::memory_order_relaxed);
  }
  void drop_sender() noexcept {
    if (senders_.fetch_sub(1, std::memory_order_acq_rel) == 1) close();
    release();
  }
  void drop_receiver() noexcept {
    queue_.discard_all(&dispose);
    release();
  }

  // --- Sending (any thread) --------------------------------------------------

  /// Sends `value` if there is room. Moves from `value` only on kDone.
  /// Throws std::bad_alloc (or what moving T throws) if the item cannot be
  /// stored; the channel is then unchanged.
  ChannelOutcome try_send(T& value, SenderToken&) { return try_send(value); }
  ChannelOutcome try_send(T& value) {
    const ChannelOutcome reserved = queue_.reserve();
    if (reserved != ChannelOutcome::kDone) return reserved;
    Node* n;
    try {
      n = new Node(std::move(value));
    } catch (...) {
      queue_.unreserve();
      throw;
    }
    switch (queue_.push(n)) {
      case MpscQueue<>::Push::kPushedWake:
        receiver_.wake();
        [[fallthrough]];
      case MpscQueue<>::Push::kPushed:
        return ChannelOutcome::kDone;
      case MpscQueue<>::Push::kClosed:
        break;
    }
    std::unique_ptr<Node> owned(n);  // closed meanwhile: give the value back
    hand_back(value, std::move(n->value));
    return ChannelOutcome::kClosed;
  }

  void close() noexcept {
    if (queue_.close()) receiver_.wake();
  }

  // --- Receiving (the one consumer) ------------------------------------------

  /// Takes the oldest item into `out`, or says why there is none. With `cx`
  /// (a Context or ParkerContext), an empty open channel also registers the
  /// consumer's waker, so that the next send wakes it. Throws what moving T
  /// out throws (that item is then lost).
  template <class Cx>
  ChannelOutcome poll_recv(std::optional<T>& out, const Cx* cx) {
    ChannelOutcome o;
    std::unique_ptr<Node> n(static_cast<Node*>(queue_.poll(o, [&] {
      if (cx == nullptr) return false;  // try_recv: never park
      receiver_.register_waker(cx->waker());
      return true;
    })));
    if (n) out.emplace(std::move(n->value));
    return o;
  }

  bool is_closed() const noexcept { return queue_.is_closed(); }
  std::size_t size() const noexcept { return queue_.size(); }
  std::size_t capacity() const noexcept { return queue_.capacity(); }
  WaiterList& senders_waiting() noexcept { return queue_.senders_waiting(); }

 private:
  struct Node : MpscNode {
    explicit Node(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) : value(std::move(v)) {}
    T value;
  };

  explicit MpscCore(std::size_t capacity) : queue_(capacity) {}
  ~MpscCore() { queue_.discard_all(&dispose); }

  static void dispose(MpscNode* n) noexcept { delete static_cast<Node*>(n); }

  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // Puts a refused value back where the sender had it. Reconstructs in
  // place when T cannot be assigned (its move constructor must then not
  // throw, or the sender's object would be left destroyed).
  static void hand_back(T& dst, T&& src) noexcept(std::is_nothrow_move_assignable_v<T>) {
    if constexpr (std::is_move_assignable_v<T>) {
      dst = std::move(src);
    } else {
      static_assert(std::is_nothrow_move_constructible_v<T>,
                    "an item type must be move-assignable or nothrow-move-constructible");
      std::destroy_at(&dst);
      std::construct_at(&dst, std::move(src));
    }
  }

  MpscQueue<> queue_;
  AtomicWaker receiver_;  // the parked receiver's waker
  std::atomic<std::uint32_t> senders_{1};
  std::atomic<std::uint32_t> refs_{2};
};

}  // namespace troupe::detail
