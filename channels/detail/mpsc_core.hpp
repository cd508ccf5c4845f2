#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/channels/detail/channel_outcome.hpp>
#include <troupe/channels/detail/waiter_list.hpp>
#include <troupe/runtime/detail/atomic_waker.hpp>

namespace troupe::detail {

/// The state shared by the Senders and the one Receiver of an ordered
/// multi-producer single-consumer channel (an actor's mailbox).
///
/// Items travel in heap nodes through one atomic word, `head_`: senders push
/// onto it as a stack (one compare-and-swap each); the receiver takes the
/// whole stack at once and reverses it into its private FIFO list. A push is
/// a single atomic step, so pushes are totally ordered: two sends by one
/// logical sender (one after the other, on whichever threads) come out in
/// that order. moodycamel's queue cannot promise this: its order is per
/// producer thread, and a task may move between threads.
///
/// The low bits of `head_` carry the channel's state along with the stack,
/// so that a send, a close and the receiver's "I am about to park" are
/// ordered by the same word:
///   kParked  the stack is empty and the receiver has registered its waker:
///            the push that clears this bit wakes it;
///   kClosed  no more pushes; the receiver drains what is left, then ends.
///
/// Items are counted in two words, `sent_` (senders) and `received_` (the
/// consumer), so that the consumer never contends on the senders' counter.
/// Bounded channels park senders on a WaiterList while full; unbounded ones
/// have none, so an idle unbounded channel is a few words.
///
/// Heap-allocated by the factories and owned jointly by the handles. The
/// last Sender to go closes the channel; the Receiver going closes it and
/// destroys the queued items. Thread-safe, except that the receive side is
/// used by one consumer at a time (it is the single consumer).
template <class T>
class MpscCore {
 public:
  /// A channel of `capacity` slots (kUnbounded: no bound), held by one
  /// Sender and the Receiver.
  static MpscCore* make(std::size_t capacity) { return new MpscCore(capacity); }
  static constexpr std::size_t kUnbounded = ~std::size_t{0};

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
    close();
    discard_all();
    release();
  }

  // --- Sending (any thread) --------------------------------------------------

  /// Sends `value` if there is room. Moves from `value` only on kDone.
  /// Throws std::bad_alloc (or what moving T throws) if the item cannot be
  /// stored; the channel is then unchanged.
  ChannelOutcome try_send(T& value) {
    if (is_closed()) return ChannelOutcome::kClosed;
    if (!reserve()) return ChannelOutcome::kWouldBlock;
    Node* n;
    try {
      n = new Node{nullptr, std::move(value)};
    } catch (...) {
      unreserve();
      throw;
    }
    if (!push(n)) {  // closed meanwhile: give the value back
      std::unique_ptr<Node> owned(n);
      hand_back(value, std::move(n->value));
      unreserve();
      return ChannelOutcome::kClosed;
    }
    return ChannelOutcome::kDone;
  }

  /// Refuses every later send and wakes the receiver and parked senders.
  /// Idempotent.
  void close() noexcept {
    const std::uintptr_t prev = head_.fetch_or(kClosed, std::memory_order_acq_rel);
    if (prev & kClosed) return;
    receiver_.wake();
    if (senders_waiting_) senders_waiting_->notify_all();
  }

  // --- Receiving (the one consumer) ------------------------------------------

  /// Takes the oldest item into `out`, or says why there is none. With
  /// `cx` (a Context or ParkerContext), an empty open channel also
  /// registers the consumer's waker, so that the next send wakes it.
  template <class Cx>
  ChannelOutcome poll_recv(std::optional<T>& out, const Cx* cx) {
    if (local_ == nullptr && !refill(cx)) {
      return is_closed() && head_node() == nullptr ? ChannelOutcome::kClosed
                                                   : ChannelOutcome::kWouldBlock;
    }
    Node* n = local_;
    local_ = n->next;
    item_taken();
    std::unique_ptr<Node> owned(n);
    out.emplace(std::move(n->value));
    return ChannelOutcome::kDone;
  }

  bool is_closed() const noexcept { return head_.load(std::memory_order_acquire) & kClosed; }
  /// Items in the channel right now (a snapshot).
  std::size_t size() const noexcept {
    const std::size_t r = received_.load(std::memory_order_acquire);
    const std::size_t s = sent_.load(std::memory_order_acquire);
    return s > r ? s - r : 0;
  }
  std::size_t capacity() const noexcept { return capacity_; }
  bool bounded() const noexcept { return capacity_ != kUnbounded; }

  /// Senders parked on a full bounded channel (only bounded channels have
  /// one; an unbounded channel never asks a sender to wait).
  WaiterList& senders_waiting() noexcept { return *senders_waiting_; }

 private:
  struct Node {
    Node* next;
    T value;
  };
  static_assert(alignof(Node) >= 4, "the two low bits of a node address carry the state");
  static constexpr std::uintptr_t kParked = 1;
  static constexpr std::uintptr_t kClosed = 2;
  static constexpr std::uintptr_t kFlags = kParked | kClosed;

  explicit MpscCore(std::size_t capacity)
      : capacity_(capacity),
        senders_waiting_(capacity == kUnbounded ? nullptr : std::make_unique<WaiterList>()) {}
  ~MpscCore() { discard_all(); }

  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  static Node* node_of(std::uintptr_t word) noexcept {
    return reinterpret_cast<Node*>(word & ~kFlags);
  }
  Node* head_node() const noexcept { return node_of(head_.load(std::memory_order_acquire)); }

  // Puts a refused value back where the sender had it. Reconstructs in
  // place when T cannot be assigned (its move constructor must then not
  // throw, or the sender's object would be left destroyed).
  static void hand_back(T& dst, T&& src) noexcept(std::is_nothrow_move_assignable_v<T>) {
    if constexpr (std::is_move_assignable_v<T>) {
      dst = std::move(src);
    } else {
      static_assert(std::is_nothrow_move_constructible_v<T>,
                    "a message type must be move-assignable or nothrow-move-constructible");
      std::destroy_at(&dst);
      std::construct_at(&dst, std::move(src));
    }
  }

  // Pushes `n` unless the channel is closed; wakes a parked receiver.
  bool push(Node* n) noexcept {
    std::uintptr_t h = head_.load(std::memory_order_relaxed);
    do {
      if (h & kClosed) return false;
      n->next = node_of(h);
    } while (!head_.compare_exchange_weak(h, reinterpret_cast<std::uintptr_t>(n),
                                          std::memory_order_release, std::memory_order_relaxed));
    if (h & kParked) receiver_.wake();
    return true;
  }

  // Moves the pushed stack into `local_`, oldest first. If there is none and
  // the channel is open, registers the consumer's waker (with `cx`) and
  // marks the word kParked; the compare-and-swap that sets it fails if a
  // push or a close came in between, so nothing is missed.
  template <class Cx>
  bool refill(const Cx* cx) noexcept {
    bool registered = false;
    std::uintptr_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      if (node_of(h) != nullptr) {
        if (!head_.compare_exchange_weak(h, h & kClosed, std::memory_order_acquire,
                                         std::memory_order_acquire)) {
          continue;
        }
        Node* fifo = nullptr;
        for (Node* p = node_of(h); p != nullptr;) {
          Node* next = p->next;
          p->next = fifo;
          fifo = p;
          p = next;
        }
        local_ = fifo;
        return true;
      }
      if ((h & kClosed) || cx == nullptr) return false;
      if (!registered) {
        receiver_.register_waker(cx->waker());
        registered = true;
        h = head_.load(std::memory_order_acquire);  // re-check after registering
        continue;
      }
      if (h & kParked) return false;
      if (head_.compare_exchange_weak(h, h | kParked, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return false;
      }
    }
  }

  // Takes a slot for one item: always there when unbounded; while full,
  // none (the caller parks on senders_waiting()).
  bool reserve() noexcept {
    if (!bounded()) {
      sent_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    std::size_t s = sent_.load(std::memory_order_relaxed);
    do {
      if (s - received_.load(std::memory_order_seq_cst) >= capacity_) return false;
    } while (!sent_.compare_exchange_weak(s, s + 1, std::memory_order_seq_cst,
                                          std::memory_order_relaxed));
    return true;
  }
  void unreserve() noexcept {
    sent_.fetch_sub(1, std::memory_order_seq_cst);
    if (bounded()) senders_waiting_->notify_one();
  }
  // A slot is free: wake a sender parked on a full channel. The store and
  // the waiter count read are seq_cst, pairing with the sender's enlist
  // (count up) and re-check (reserve's load): one of the two sees the other.
  void item_taken() noexcept {
    const std::size_t r = received_.load(std::memory_order_relaxed) + 1;
    if (!bounded()) {
      received_.store(r, std::memory_order_release);
      return;
    }
    received_.store(r, std::memory_order_seq_cst);
    senders_waiting_->notify_one();
  }

  // Destroys every queued item (the Receiver is gone, or the channel is).
  void discard_all() noexcept {
    std::unique_ptr<Node> drop;
    while (local_ != nullptr) drop.reset(std::exchange(local_, local_->next));
    const std::uintptr_t h = head_.fetch_and(kClosed, std::memory_order_acquire);
    for (Node* p = node_of(h); p != nullptr;) drop.reset(std::exchange(p, p->next));
  }

  std::atomic<std::uintptr_t> head_{0};
  Node* local_ = nullptr;  // the consumer's FIFO, taken from head_
  AtomicWaker receiver_;
  const std::size_t capacity_;
  std::atomic<std::size_t> sent_{0};      // slots taken by senders
  std::atomic<std::size_t> received_{0};  // items taken by the consumer
  std::unique_ptr<WaiterList> senders_waiting_;
  std::atomic<std::uint32_t> senders_{1};
  std::atomic<std::uint32_t> refs_{2};
};

}  // namespace troupe::detail
