#pragma once

#include <atomic>
#include <cstdint>

namespace troupe::detail {

/// The life of a spawned task, packed into one atomic word.
///
///   bit 0  SCHEDULED      in a run queue (or about to be pushed to one)
///   bit 1  RUNNING        a worker is polling it right now
///   bit 2  NOTIFIED       woken while RUNNING: poll again when this poll ends
///   bit 3  COMPLETE       finished, failed or cancelled; the frame is gone
///   bit 4  CANCELLED      cancellation requested (or done, with COMPLETE)
///   bit 5  JOIN_INTEREST  a JoinHandle still exists
///   bit 6  JOIN_WAKER     the JoinHandle registered a waker in the header
///   bits 16..63           reference count
///
/// Transitions (each returns what the caller must do next):
///
///   idle      --wake-->        SCHEDULED (+1 ref for the queue)    => schedule
///   RUNNING   --wake-->        RUNNING|NOTIFIED                    => nothing
///   SCHEDULED --start_run-->   RUNNING                             => poll
///             (COMPLETE)       -                                   => drop queue ref
///             (CANCELLED)      RUNNING                             => destroy frame
///   RUNNING   --end_run-->     idle                                => drop queue ref
///             (NOTIFIED)       SCHEDULED                           => reschedule
///             (CANCELLED)      RUNNING                             => destroy frame
///   RUNNING   --complete-->    COMPLETE                            => wake joiner
///   any       --cancel-->      +CANCELLED; if idle also SCHEDULED  => schedule
///   idle      --try_hold-->    RUNNING (held by a reader)          => read, then end_hold
///   RUNNING   --end_hold-->    idle                                => nothing
///             (NOTIFIED or CANCELLED) SCHEDULED (+1 ref)           => schedule
///
/// A task is only ever polled or destroyed by the one thread that moved it
/// into RUNNING, which is what makes "never destroyed while running" hold.
class TaskState {
 public:
  using Word = std::uint64_t;
  static constexpr Word kScheduled = 1u << 0;
  static constexpr Word kRunning = 1u << 1;
  static constexpr Word kNotified = 1u << 2;
  static constexpr Word kComplete = 1u << 3;
  static constexpr Word kCancelled = 1u << 4;
  static constexpr Word kJoinInterest = 1u << 5;
  static constexpr Word kJoinWaker = 1u << 6;
  static constexpr Word kRefOne = Word{1} << 16;
  static constexpr Word kFlagMask = kRefOne - 1;

  /// A new task: scheduled, with a JoinHandle, holding `refs` references.
  explicit TaskState(Word refs) noexcept : word_(kScheduled | kJoinInterest | refs * kRefOne) {}

  Word load() const noexcept { return word_.load(std::memory_order_acquire); }
  static Word refs(Word w) noexcept { return w >> 16; }

  enum class WakeAction { kNone, kSchedule };
  /// Wakes the task. On kSchedule a reference was added for the run queue.
  WakeAction wake() noexcept {
    Word cur = word_.load(std::memory_order_acquire);
    for (;;) {
      Word next;
      WakeAction action = WakeAction::kNone;
      if (cur & (kComplete | kScheduled | kNotified)) return WakeAction::kNone;
      if (cur & kRunning) {
        next = cur | kNotified;
      } else {
        next = (cur | kScheduled) + kRefOne;
        action = WakeAction::kSchedule;
      }
      if (word_.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return action;
    }
  }

  enum class RunAction { kPoll, kCancel, kDrop };
  /// Called by the worker that dequeued the task (it holds the queue ref).
  RunAction start_run() noexcept {
    Word cur = word_.load(std::memory_order_acquire);
    for (;;) {
      Word next = cur & ~kScheduled;
      RunAction action = RunAction::kDrop;
      if (!(cur & kComplete)) {
        next |= kRunning;
        action = (cur & kCancelled) ? RunAction::kCancel : RunAction::kPoll;
      }
      if (word_.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return action;
    }
  }

  enum class EndAction { kIdle, kReschedule, kCancel };
  /// Called after a poll that left the task suspended.
  EndAction end_run() noexcept {
    Word cur = word_.load(std::memory_order_acquire);
    for (;;) {
      Word next;
      EndAction action;
      if (cur & kCancelled) {
        return EndAction::kCancel;  // stays RUNNING: the caller destroys it now
      } else if (cur & kNotified) {
        next = (cur & ~(kRunning | kNotified)) | kScheduled;
        action = EndAction::kReschedule;
      } else {
        next = cur & ~kRunning;
        action = EndAction::kIdle;
      }
      if (word_.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return action;
    }
  }

  /// RUNNING -> COMPLETE (optionally also CANCELLED). Returns the old word.
  Word complete(bool cancelled) noexcept {
    Word set = kComplete | (cancelled ? kCancelled : 0);
    Word cur = word_.load(std::memory_order_acquire);
    while (!word_.compare_exchange_weak(cur, (cur & ~(kRunning | kNotified)) | set,
                                        std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
    return cur;
  }

  enum class CancelAction { kNone, kSchedule };
  /// Requests cancellation. On kSchedule a queue reference was added.
  CancelAction cancel() noexcept {
    Word cur = word_.load(std::memory_order_acquire);
    for (;;) {
      if (cur & (kComplete | kCancelled)) return CancelAction::kNone;
      Word next = cur | kCancelled;
      CancelAction action = CancelAction::kNone;
      if (!(cur & (kRunning | kScheduled))) {
        next = (next | kScheduled) + kRefOne;
        action = CancelAction::kSchedule;
      }
      if (word_.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return action;
    }
  }

  // --- Holding an idle task from outside (TaskHeader::try_hold) -------------

  /// idle --try_hold--> RUNNING, taken by a thread that is not a worker, to
  /// read what only the task's poller touches. False (and nothing changed)
  /// if it is scheduled, running or complete.
  bool try_hold() noexcept {
    Word cur = word_.load(std::memory_order_acquire);
    for (;;) {
      if (cur & (kScheduled | kRunning | kComplete)) return false;
      if (word_.compare_exchange_weak(cur, cur | kRunning, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return true;
    }
  }
  /// RUNNING (held) --end_hold--> idle; or, if it was woken or cancelled
  /// meanwhile, SCHEDULED (+1 ref for the queue) => schedule (true).
  bool end_hold() noexcept {
    Word cur = word_.load(std::memory_order_acquire);
    for (;;) {
      const bool schedule = (cur & (kNotified | kCancelled)) != 0;
      const Word next =
          schedule ? ((cur & ~(kRunning | kNotified)) | kScheduled) + kRefOne : cur & ~kRunning;
      if (word_.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return schedule;
    }
  }

  // --- JoinHandle side -----------------------------------------------------

  /// Publishes a joiner waker written just before. False if already complete.
  bool set_join_waker() noexcept {
    Word cur = word_.load(std::memory_order_acquire);
    for (;;) {
      if (cur & kComplete) return false;
      if (word_.compare_exchange_weak(cur, cur | kJoinWaker, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return true;
    }
  }
  /// Takes the joiner waker back so it can be replaced. False if complete.
  bool unset_join_waker() noexcept {
    Word cur = word_.load(std::memory_order_acquire);
    for (;;) {
      if (cur & kComplete) return false;
      if (word_.compare_exchange_weak(cur, cur & ~kJoinWaker, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return true;
    }
  }
  /// The JoinHandle is gone. Returns the old word.
  Word drop_join_interest() noexcept {
    return word_.fetch_and(~(kJoinInterest | kJoinWaker), std::memory_order_acq_rel);
  }

  // --- References ------------------------------------------------------------

  void ref() noexcept { word_.fetch_add(kRefOne, std::memory_order_relaxed); }
  /// Drops `n` references; true when they were the last.
  bool unref(Word n = 1) noexcept {
    Word prev = word_.fetch_sub(n * kRefOne, std::memory_order_acq_rel);
    return refs(prev) == n;
  }

 private:
  std::atomic<Word> word_;
};

}  // namespace troupe::detail
