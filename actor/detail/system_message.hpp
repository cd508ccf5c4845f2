#pragma once

#include <cstdint>
#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/detail/cell_ptr.hpp>
#include <troupe/actor/exit_reason.hpp>
#include <troupe/channels/detail/channel_outcome.hpp>
#include <troupe/channels/detail/mpsc_queue.hpp>
#include <troupe/runtime/detail/block_pool.hpp>

namespace troupe::detail {

/// A message from the runtime of actors to one actor, ahead of its
/// mailbox: stop, restart, a child's failure or end, Down, Exit.
/// BlockPool memory (every actor's end posts one to its parent). Owned by
/// the SystemQueue it is pushed on, then by the loop that takes it out.
struct SystemMessage : MpscNode, PooledObject {
  enum class Kind {
    kStop,          // stop at once with `reason`
    kRestart,       // from the supervisor: a fresh instance
    kChildFailed,   // from a child: it failed with `reason`, decide
    kChildStopped,  // from a child: it is gone
    kDown,          // a monitored actor stopped with `reason`
    kExit,          // a linked actor stopped abnormally with `reason`
  };

  SystemMessage(Kind k, CellPtr from_cell, ActorId id, ExitReason why,
                std::uint64_t node = 0) noexcept
      : kind(k), from(std::move(from_cell)), from_id(id), reason(std::move(why)), from_node(node) {}

  Kind kind;
  CellPtr from;  // the sending actor; null for kStop from outside, and for a remote actor
  ActorId from_id;
  ExitReason reason;
  std::uint64_t from_node = 0;  // kDown/kExit from a remote actor: its node's incarnation
  // kChildFailed: which instance of the child failed (how many restarts it
  // had had), so that its supervisor knows a failure a restart it has
  // already ordered will answer.
  std::uint32_t instance = 0;
};

/// An actor's system messages: pushed from any thread, taken by the actor's
/// loop ahead of its mailbox, first in first out among themselves.
///
/// The same lock-free queue as the mailbox (an unbounded MpscQueue), used
/// the same way: the loop arms the queue each time it finds it empty, and
/// the push that finds it armed tells its caller to wake the actor. Next to
/// it, the messages the loop has taken out but not handled yet: while a
/// coroutine handler runs they wait, and the loop looks among them for a
/// Stop, which cancels the handler.
///
/// push() is thread-safe; everything else is the loop's (one thread at a
/// time). Closed once the actor is done: later pushes are destroyed.
class SystemQueue {
 public:
  SystemQueue() = default;
  SystemQueue(const SystemQueue&) = delete;
  SystemQueue& operator=(const SystemQueue&) = delete;
  ~SystemQueue() { close_and_discard(); }

  /// Queues `m` (taking it). True if the loop had found the queue empty
  /// since the last push: the caller wakes the actor. On a closed queue
  /// `m` is destroyed.
  bool push(SystemMessage* m) noexcept;

  /// True if there is nothing to handle: nothing taken out and waiting, and
  /// the queue empty and armed since the last look. One or two loads; what
  /// the loop checks on every turn.
  bool idle() const noexcept { return taken_ == nullptr && queue_.idle(); }

  /// The oldest message not handled yet (now the caller's), or nullptr. An
  /// empty queue is left armed, so the next push says to wake the actor.
  SystemMessage* pop() noexcept {
    if (taken_ != nullptr) return as_message(std::exchange(taken_, taken_->next));
    // The usual case, on every turn of the loop: nothing since the last
    // look, which left the queue armed.
    if (queue_.idle()) return nullptr;
    ChannelOutcome outcome;
    return as_message(queue_.poll(outcome, [] { return true; }));
  }

  /// Takes out everything pushed so far (behind what was taken before; the
  /// queue is left armed) and says whether a Stop is among it.
  bool stop_pending() noexcept;

  /// Refuses every later push and destroys every message still queued.
  void close_and_discard() noexcept;

 private:
  static SystemMessage* as_message(MpscNode* n) noexcept { return static_cast<SystemMessage*>(n); }

  // taken_ first: it and the queue's head are what every turn reads.
  MpscNode* taken_ = nullptr;  // out of queue_, not handled yet, oldest first
  // Never bounded, never counted: the queue is its two words.
  using Queue = MpscQueue</*kCountUnbounded=*/false, /*kBoundable=*/false>;
  Queue queue_;
};

}  // namespace troupe::detail
