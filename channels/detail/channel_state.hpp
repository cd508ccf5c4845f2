#pragma once

#include <atomic>
#include <cstdint>

namespace troupe::detail {

/// The counters of one channel packed into one atomic word, so that "is there
/// room", "is there an item" and "is it closed and drained" are each decided
/// by a single atomic step, with no lock.
///
///   bit 63       CLOSED   no send will be accepted any more
///   bits 32..62  slots    items accepted by a send and not yet claimed by a
///                         receiver; bounded by the capacity
///   bits 0..30   ready    items fully in the queue and not yet claimed
///
/// `slots - ready` counts the sends between reserve() and publish(): they
/// hold a slot while they copy their value into the queue. A receiver only
/// reports "closed" once CLOSED is set and `slots == 0`, so such an in-flight
/// send is still delivered after a close that came while it was copying.
///
/// Why count at all, rather than ask the queue: moodycamel's try_dequeue may
/// fail while items exist, so "the queue said empty" means nothing. A
/// receiver first claims an item here (ready and slots minus one); the claim
/// guarantees that an item is in the queue, and the receiver retries its
/// dequeue until it gets one.
///
/// Every operation is seq_cst: together with the waiter counts of the
/// WaiterLists, this is a Dekker pattern (a waiter increments its list's
/// count then re-reads this word; a waker changes this word then reads the
/// count), so one of the two always sees the other. Thread-safe.
class ChannelState {
 public:
  using Word = std::uint64_t;
  static constexpr Word kClosed = Word{1} << 63;
  static constexpr Word kSlotOne = Word{1} << 32;
  static constexpr Word kReadyOne = 1;
  static constexpr Word kCountMask = (Word{1} << 31) - 1;
  /// The largest capacity a channel can have (also the limit of "unbounded").
  static constexpr Word kMaxCapacity = kCountMask;

  static constexpr bool closed(Word w) noexcept { return (w & kClosed) != 0; }
  static constexpr Word slots(Word w) noexcept { return (w >> 32) & kCountMask; }
  static constexpr Word ready(Word w) noexcept { return w & kCountMask; }
  /// Closed, and nothing left that a receiver could ever claim.
  static constexpr bool drained(Word w) noexcept { return closed(w) && slots(w) == 0; }

  Word load() const noexcept { return word_.load(std::memory_order_seq_cst); }

  enum class Reserve { kReserved, kFull, kClosed };
  /// A send takes a slot, if the channel is open and has fewer than
  /// `capacity` slots taken.
  Reserve reserve(Word capacity) noexcept {
    Word cur = word_.load(std::memory_order_seq_cst);
    for (;;) {
      if (closed(cur)) return Reserve::kClosed;
      if (slots(cur) >= capacity) return Reserve::kFull;
      if (word_.compare_exchange_weak(cur, cur + kSlotOne, std::memory_order_seq_cst,
                                      std::memory_order_seq_cst)) {
        return Reserve::kReserved;
      }
    }
  }

  /// A reserved send gives its slot back without publishing (its enqueue
  /// failed). Returns the new word.
  Word unreserve() noexcept {
    return word_.fetch_sub(kSlotOne, std::memory_order_seq_cst) - kSlotOne;
  }

  /// A reserved send has put its item in the queue: make it claimable.
  /// Returns the new word.
  Word publish() noexcept {
    return word_.fetch_add(kReadyOne, std::memory_order_seq_cst) + kReadyOne;
  }

  enum class Claim { kClaimed, kEmpty, kClosed };
  /// A receiver takes one ready item (and frees its slot). kClosed only once
  /// the channel is drained; kEmpty while sends may still come (or are still
  /// copying). `after` receives the word this call left behind.
  Claim claim(Word& after) noexcept {
    Word cur = word_.load(std::memory_order_seq_cst);
    for (;;) {
      if (ready(cur) == 0) {
        after = cur;
        return drained(cur) ? Claim::kClosed : Claim::kEmpty;
      }
      const Word next = cur - kReadyOne - kSlotOne;
      if (word_.compare_exchange_weak(cur, next, std::memory_order_seq_cst,
                                      std::memory_order_seq_cst)) {
        after = next;
        return Claim::kClaimed;
      }
    }
  }

  /// Sets CLOSED; true if this call is the one that closed the channel.
  bool close() noexcept { return !closed(word_.fetch_or(kClosed, std::memory_order_seq_cst)); }

 private:
  std::atomic<Word> word_{0};
};

}  // namespace troupe::detail
