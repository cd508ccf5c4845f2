#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include <troupe/channels/detail/channel_outcome.hpp>
#include <troupe/channels/detail/waiter_list.hpp>

namespace troupe::detail {

/// The link every MpscQueue node starts with.
struct MpscNode {
  MpscNode* next = nullptr;
};

/// The lock-free core of the ordered multi-producer single-consumer
/// channels and of actor mailboxes: an intrusive queue of nodes derived
/// from MpscNode, with close, an optional bound, and consumer wake-ups.
///
/// Nodes travel through one atomic word, `head_`: producers push onto it as
/// a stack (one compare-and-swap each); the consumer takes the whole stack
/// at once and reverses it into its private FIFO list. A push is a single
/// atomic step, so pushes are totally ordered: two pushes by one logical
/// sender (one after the other, on whichever threads) come out in that
/// order. moodycamel's queue cannot promise this: its order is per producer
/// thread, and a task may move between threads.
///
/// The low bits of `head_` carry the state along with the stack, so that a
/// push, a close and the consumer's "I am about to park" are ordered by the
/// same word:
///   kParked  the stack is empty and the consumer is armed: the push that
///            clears this bit notifies it;
///   kClosed  no more pushes; the consumer drains what is left, then ends.
///
/// Items are counted in two words, one the producers write and one the
/// consumer writes (in batches, see item_taken), so neither side writes the
/// other's line. A bounded queue keeps them, and the WaiterList where
/// producers park while it is full, in a block of its own; an unbounded
/// one has none, so an idle unbounded queue is a few words.
///
/// The queue does not know its consumer: a push or a close that finds it
/// parked says so, and the caller wakes it (a channel through the waker its
/// receiver registered, a mailbox by waking its actor, which is the task).
/// Producer operations are thread-safe; consumer operations (poll, discard)
/// are for the one consumer. Nodes are owned by the queue from a successful
/// push until poll hands them out; `dispose(node)` destroys the ones left.
///
/// `kCountUnbounded`: keep size() for an unbounded queue too (a bounded one
/// always counts). Counting costs every push an atomic add on a shared
/// word, so mailboxes, which need no size, skip it. `kBoundable`: the queue
/// may be made bounded; one that never is and does not count either (an
/// actor's system messages) is then its two words and nothing else.
template <bool kCountUnbounded = true, bool kBoundable = true>
class MpscQueue {
 public:
  static constexpr std::size_t kUnbounded = ~std::size_t{0};

  explicit MpscQueue(std::size_t capacity = kUnbounded) {
    if constexpr (kBoundable) {
      if (capacity != kUnbounded) bounded_ = std::make_unique<Bounded>(capacity);
    }
  }
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;

  // --- Producers (any thread) ------------------------------------------------

  /// Takes a slot for one item: kDone, or kWouldBlock while a bounded queue
  /// is full (park on senders_waiting() and retry), or kClosed.
  ChannelOutcome reserve() noexcept {
    if (is_closed()) return ChannelOutcome::kClosed;
    if constexpr (kBoundable) {
      if (bounded()) {
        Bounded& b = *bounded_;
        std::size_t s = b.sent.load(std::memory_order_relaxed);
        do {
          if (s - b.received.load(std::memory_order_seq_cst) >= b.capacity) {
            return ChannelOutcome::kWouldBlock;
          }
        } while (!b.sent.compare_exchange_weak(s, s + 1, std::memory_order_seq_cst,
                                               std::memory_order_relaxed));
        return ChannelOutcome::kDone;
      }
    }
    if constexpr (kCountUnbounded) sent_.fetch_add(1, std::memory_order_relaxed);
    return ChannelOutcome::kDone;
  }

  /// Gives back a reserved slot that will not be used.
  void unreserve() noexcept {
    if constexpr (kBoundable) {
      if (bounded()) {
        bounded_->sent.fetch_sub(1, std::memory_order_seq_cst);
        bounded_->senders_waiting.notify_one();
        return;
      }
    }
    if constexpr (kCountUnbounded) sent_.fetch_sub(1, std::memory_order_relaxed);
  }

  /// What a push did.
  enum class Push {
    kPushed,      // in the queue
    kPushedWake,  // in the queue, and the consumer is parked: wake it
    kClosed,      // closed since the reservation: `n` is still the caller's
  };

  /// Pushes `n` into a reserved slot (given back if the queue closed).
  Push push(MpscNode* n) noexcept {
    std::uintptr_t h = head_.load(std::memory_order_relaxed);
    do {
      if (h & kClosed) {
        unreserve();
        return Push::kClosed;
      }
      n->next = node_of(h);
    } while (!head_.compare_exchange_weak(h, reinterpret_cast<std::uintptr_t>(n),
                                          std::memory_order_release, std::memory_order_relaxed));
    return (h & kParked) ? Push::kPushedWake : Push::kPushed;
  }

  /// Refuses every later push and wakes parked producers. True for the
  /// call that closed it: the caller then wakes the consumer, which may be
  /// parked.
  bool close() noexcept {
    const std::uintptr_t prev = head_.fetch_or(kClosed, std::memory_order_acq_rel);
    if (prev & kClosed) return false;
    if constexpr (kBoundable) {
      if (bounded()) bounded_->senders_waiting.notify_all();
    }
    return true;
  }

  // --- The consumer ----------------------------------------------------------

  /// The oldest node (now the caller's), or nullptr with `outcome` saying
  /// why: kWouldBlock (empty) or kClosed (closed and drained). On empty,
  /// `arm()` is called; if it returns true (the consumer has made itself
  /// wakeable and will park), the queue is marked parked, so the next push
  /// or close says to wake it. `arm` returning false is a plain try.
  template <class Arm>
  MpscNode* poll(ChannelOutcome& outcome, Arm&& arm) noexcept {
    if (local_ == nullptr && !refill(arm)) {
      outcome = is_closed() && node_of(head_.load(std::memory_order_acquire)) == nullptr
                    ? ChannelOutcome::kClosed
                    : ChannelOutcome::kWouldBlock;
      return nullptr;
    }
    MpscNode* n = local_;
    local_ = n->next;
    item_taken();
    outcome = ChannelOutcome::kDone;
    return n;
  }

  /// Closes the queue and destroys every node in it with `dispose`.
  template <class Dispose>
  void discard_all(Dispose dispose) noexcept {
    close();
    while (local_ != nullptr) dispose(std::exchange(local_, local_->next));
    const std::uintptr_t h = head_.fetch_and(kClosed, std::memory_order_acquire);
    for (MpscNode* p = node_of(h); p != nullptr;) dispose(std::exchange(p, p->next));
  }

  // --- Anyone ----------------------------------------------------------------

  bool is_closed() const noexcept { return head_.load(std::memory_order_acquire) & kClosed; }
  /// True if the queue is empty and armed (the consumer's last poll found
  /// it so and nothing came since): poll would return nothing, and the next
  /// push says to wake the consumer. One load; for the consumer, which can
  /// then skip the poll.
  bool idle() const noexcept {
    return local_ == nullptr && head_.load(std::memory_order_acquire) == kParked;
  }
  /// Items in the queue right now (a snapshot; 0 for a queue that does not
  /// count, see kCountUnbounded).
  std::size_t size() const noexcept {
    if constexpr (kBoundable) {
      if (bounded()) return difference(bounded_->sent, bounded_->received);
    }
    if constexpr (kCountUnbounded) {
      return difference(sent_, received_);
    } else {
      return 0;
    }
  }
  /// Items in the queue, counted by walking it (a queue that keeps no count
  /// too). Only while the consumer is held off (its task held, see
  /// TaskHeader::try_hold) or by the consumer itself: poll frees what it takes.
  std::size_t count_walking() const noexcept {
    std::size_t n = 0;
    for (const MpscNode* p = local_; p != nullptr; p = p->next) ++n;
    for (const MpscNode* p = node_of(head_.load(std::memory_order_acquire)); p != nullptr;
         p = p->next) {
      ++n;
    }
    return n;
  }
  std::size_t capacity() const noexcept { return bounded() ? bounded_->capacity : kUnbounded; }
  bool bounded() const noexcept {
    if constexpr (kBoundable) {
      return bounded_ != nullptr;
    } else {
      return false;
    }
  }
  /// Producers parked on a full bounded queue (an unbounded queue never
  /// asks a producer to wait, and has none).
  WaiterList& senders_waiting() noexcept requires kBoundable { return bounded_->senders_waiting; }

 private:
  static constexpr std::uintptr_t kParked = 1;
  static constexpr std::uintptr_t kClosed = 2;
  static constexpr std::uintptr_t kFlags = kParked | kClosed;
  static_assert(alignof(MpscNode) >= 4, "the two low bits of a node address carry the state");

  static MpscNode* node_of(std::uintptr_t word) noexcept {
    return reinterpret_cast<MpscNode*>(word & ~kFlags);
  }

  // Moves the pushed stack into `local_`, oldest first. If there is none and
  // the queue is open, arms the consumer and marks the word kParked; the
  // compare-and-swap that sets it fails if a push or a close came in
  // between, so nothing is missed.
  template <class Arm>
  bool refill(Arm& arm) noexcept {
    bool armed = false;
    std::uintptr_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      if (node_of(h) != nullptr) {
        if (!head_.compare_exchange_weak(h, h & kClosed, std::memory_order_acquire,
                                         std::memory_order_acquire)) {
          continue;
        }
        MpscNode* fifo = nullptr;
        for (MpscNode* p = node_of(h); p != nullptr;) {
          MpscNode* next = p->next;
          p->next = fifo;
          fifo = p;
          p = next;
        }
        local_ = fifo;
        return true;
      }
      if (h & kClosed) return false;
      if (!armed) {
        if (!arm()) return false;  // a plain try: do not park
        armed = true;
        h = head_.load(std::memory_order_acquire);  // re-check after arming
        continue;
      }
      if (h & kParked) return false;
      if (head_.compare_exchange_weak(h, h | kParked, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return false;
      }
    }
  }

  // An item left the queue. A bounded queue frees its slot for producers
  // in batches: each publish of `received_` is a write to a line that every
  // producer reads, so the consumer publishes once per batch of
  // `Bounded::publish_every` items, and always once its private list runs
  // out (before it looks for more, or parks). Until then a producer may see
  // the queue full with room in it; it waits for that publish, which comes
  // before the consumer can park. The store and the waiter count read are
  // seq_cst, pairing with the producer's enlist (count up) and re-check
  // (reserve's load): one of the two sees the other.
  void item_taken() noexcept {
    if constexpr (kBoundable) {
      if (bounded()) {
        Bounded& b = *bounded_;
        if (++b.unpublished < b.publish_every && local_ != nullptr) return;
        const std::size_t freed = std::exchange(b.unpublished, 0);
        b.received.store(b.received.load(std::memory_order_relaxed) + freed,
                         std::memory_order_seq_cst);
        for (std::size_t i = 0; i < freed && b.senders_waiting.size() != 0; ++i) {
          b.senders_waiting.notify_one();
        }
        return;
      }
    }
    if constexpr (kCountUnbounded) {
      received_.store(received_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
  }

  static std::size_t difference(const std::atomic<std::size_t>& sent,
                                const std::atomic<std::size_t>& received) noexcept {
    const std::size_t r = received.load(std::memory_order_acquire);
    const std::size_t s = sent.load(std::memory_order_acquire);
    return s > r ? s - r : 0;
  }

  std::atomic<std::uintptr_t> head_{0};
  MpscNode* local_ = nullptr;  // the consumer's FIFO, taken from head_

  // The counts of an unbounded queue that keeps its size; absent (an empty
  // member) from one that does not.
  // (Two distinct empty types: members of one type would need two addresses.)
  template <int>
  struct NoCounter {};
  template <int kWhich>
  using Counter = std::conditional_t<kCountUnbounded, std::atomic<std::size_t>, NoCounter<kWhich>>;
  [[no_unique_address]] Counter<0> sent_{};      // items pushed
  [[no_unique_address]] Counter<1> received_{};  // items taken by the consumer
  // Only a bounded queue has these: an unbounded one (most mailboxes) pays
  // one null pointer for them, one that cannot be bounded nothing. The
  // producers' count and the consumer's are on lines of their own: each is
  // written by one side and read by the other, and neither shares a line
  // with `head_`, which both sides write.
  struct Bounded {
    explicit Bounded(std::size_t c)
        : capacity(c), publish_every(std::clamp<std::size_t>(c / 8, 1, 64)) {}
    const std::size_t capacity;
    const std::size_t publish_every;  // see item_taken
    WaiterList senders_waiting;
    alignas(64) std::atomic<std::size_t> sent{0};      // slots taken by producers
    alignas(64) std::atomic<std::size_t> received{0};  // items taken, as published
    std::size_t unpublished = 0;  // the consumer's: items taken, not yet in `received`
  };
  struct NoBound {
    const Bounded* operator->() const noexcept { return nullptr; }
  };
  [[no_unique_address]] std::conditional_t<kBoundable, std::unique_ptr<Bounded>, NoBound>
      bounded_{};
};

}  // namespace troupe::detail
