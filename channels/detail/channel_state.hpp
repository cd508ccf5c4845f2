#pragma once

#include <atomic>
#include <cstdint>

#include <troupe/runtime/detail/cpu_relax.hpp>

namespace troupe::detail {

/// The counter of one channel and its CLOSED flag, in one atomic word, so
/// that "is there room" and "is it closed and drained" are each decided by a
/// single atomic step, with no lock.
///
///   bit 63       CLOSED   no send will be accepted any more
///   bits 0..30   items    sends accepted and not yet received: bounded by
///                         the capacity
///
/// A send reserves (items + 1) and then puts its item into the queue; a
/// receiver takes an item out of the queue and then releases it
/// (items - 1). So `items` is never below the number of items in the queue,
/// and each side writes this word once per item. A receiver only reports
/// "closed" once CLOSED is set and `items == 0`, so every send accepted
/// before the close is delivered.
///
/// Why count at all, rather than ask the queue: moodycamel's try_dequeue may
/// fail while items exist, so "the queue said empty" means nothing on its
/// own. `items == 0` does mean empty; a receiver whose dequeue failed while
/// `items > 0` retries, since an item is in the queue, or about to be (a
/// send between its reserve and its enqueue), or about to be released (a
/// receive between its dequeue and its release).
///
/// Every operation is seq_cst: together with the waiter counts of the
/// WaiterLists, this is a Dekker pattern (a waiter increments its list's
/// count then re-reads this word; a waker changes this word then reads the
/// count), so one of the two always sees the other. Thread-safe.
class ChannelState {
 public:
  using Word = std::uint64_t;
  static constexpr Word kClosed = Word{1} << 63;
  static constexpr Word kItemOne = 1;
  static constexpr Word kCountMask = (Word{1} << 31) - 1;
  /// The largest capacity a channel can have (also the limit of "unbounded").
  static constexpr Word kMaxCapacity = kCountMask;
  /// How long a send whose reserve lost a race waits before it tries again,
  /// in spin-wait instructions (PAUSE: about 25 ns each on the project's
  /// AMD EPYC, so 13 us). See reserve().
  static constexpr int kContentionPauses = 512;

  static constexpr bool closed(Word w) noexcept { return (w & kClosed) != 0; }
  static constexpr Word items(Word w) noexcept { return w & kCountMask; }
  /// Closed, and nothing left that a receiver could ever take.
  static constexpr bool drained(Word w) noexcept { return closed(w) && items(w) == 0; }

  Word load() const noexcept { return word_.load(std::memory_order_seq_cst); }

  enum class Reserve { kReserved, kFull, kClosed };
  /// A send takes a slot, if the channel is open and has fewer than
  /// `capacity` items.
  ///
  /// A failed compare-exchange means that another thread wrote the word
  /// since this one read it: two cores are working the channel at once, and
  /// every operation then moves its cache lines (this word, the queue's
  /// indices and blocks) from one core to the other. That costs more than
  /// the operations themselves, so the loser steps aside for a while and
  /// lets the other core run many operations in its own cache, as a
  /// contended lock does (Go's runtime lock spins 4 x 30 PAUSEs, then
  /// yields, then sleeps). The price: a send that lost a race is that much
  /// later; the gain, channel_mpmc's rate times 3.8 on the project's
  /// machine (bench/README.md, "Optimizations, before and after").
  Reserve reserve(Word capacity) noexcept {
    Word cur = word_.load(std::memory_order_seq_cst);
    for (;;) {
      if (closed(cur)) return Reserve::kClosed;
      if (items(cur) >= capacity) return Reserve::kFull;
      if (word_.compare_exchange_weak(cur, cur + kItemOne, std::memory_order_seq_cst,
                                      std::memory_order_seq_cst)) {
        return Reserve::kReserved;
      }
      for (int i = 0; i < kContentionPauses; ++i) cpu_relax();
      cur = word_.load(std::memory_order_seq_cst);
    }
  }

  /// An item left the channel (received, or its send failed after its
  /// reserve): frees its slot. Returns the new word.
  Word release() noexcept {
    return word_.fetch_sub(kItemOne, std::memory_order_seq_cst) - kItemOne;
  }

  /// Sets CLOSED; true if this call is the one that closed the channel.
  bool close() noexcept { return !closed(word_.fetch_or(kClosed, std::memory_order_seq_cst)); }

 private:
  std::atomic<Word> word_{0};
};

}  // namespace troupe::detail
