#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <string>
#include <typeinfo>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/dead_letter.hpp>
#include <troupe/actor/detail/cell_ptr.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/lifecycle.hpp>
#include <troupe/actor/detail/offer_outcome.hpp>
#include <troupe/actor/detail/system_core.hpp>
#include <troupe/actor/detail/system_message.hpp>
#include <troupe/actor/exit_reason.hpp>
#include <troupe/actor/mailbox_options.hpp>
#include <troupe/actor/supervisor_strategy.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/channels/detail/mpsc_queue.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/task_header.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::detail {

struct CellExtras;
class HandlerSpan;

/// The type-erased part of an actor: a task (TaskHeader) whose poll is the
/// actor's message loop instead of a coroutine, its mailbox, its system
/// messages, and its place among other actors (parent, children, monitors,
/// links, name). ActorCellOf<A, Args...> (actor_cell_of.hpp, made by
/// spawn_actor) adds the instance of A and the typed dispatch.
///
/// Its code is split by concern, one file each:
///   actor_cell.cpp      the producer side: offer, tell, dead letters, post
///   system_message.hpp  the system-message queue
///   relations.cpp       watchers, links, children, name
///   supervision.cpp     failures: restart, stop or escalate, and the limits
///   lifecycle.cpp       the phases (see ActorPhase), the message loop, the end
///
/// Refcounted like any task: the executor's owner list, run queues, and
/// every ActorRef (CellPtr) hold references; the memory goes with the last
/// one, while the actor itself (its state, its loop) ends when it stops.
/// The loop runs on one worker at a time; producers (offer, tell, post, and
/// monitor, link, name requests) are thread-safe.
class ActorCellBase : public TaskHeader {
 public:
  /// The mailbox's queue; uncounted (nothing asks an actor's mailbox size).
  using MailboxQueue = MpscQueue<false>;
  using Offer = OfferResult;

  ActorId id() const noexcept { return id_; }
  SystemCore& system() const noexcept { return *system_; }

  // --- The producer side, from any thread (actor_cell.cpp) ----------------------

  /// Puts `e` in the mailbox; on kFull or kClosed `e` is still the caller's.
  Offer offer(EnvelopeBase* e) noexcept;
  /// Puts `e` in the mailbox or, if refused, makes it a dead letter (an ask
  /// in it fails at once). Takes ownership of `e`.
  TellStatus tell(EnvelopeBase* e) noexcept;
  /// Reports `e` as a dead letter, refuses it (failing an ask with `ask`)
  /// and destroys it.
  void dead_letter(EnvelopeBase* e, DeadLetterReason why, AskError ask) noexcept;
  Overflow overflow() const noexcept { return overflow_; }
  MailboxQueue& mailbox() noexcept { return mailbox_; }

  /// Queues a system message (overtakes the mailbox) and wakes the actor.
  /// `instance`: see SystemMessage::instance (kChildFailed only).
  void post(SystemMessage::Kind kind, ActorCellBase* from, ExitReason reason,
            std::uint32_t instance = 0) noexcept;
  /// Queues Down for a remote actor (`id` on the node of incarnation `node`),
  /// which has no cell here.
  void post_remote_down(ActorId id, std::uint64_t node, ExitReason reason) noexcept;
  /// Queues Exit for a remote actor this one is linked to (see post_remote_down).
  void post_remote_exit(ActorId id, std::uint64_t node, ExitReason reason) noexcept;
  /// Stop at once: what is queued becomes dead letters.
  void stop_now(ExitReason reason) noexcept { post(SystemMessage::Kind::kStop, nullptr, reason); }
  /// Stop once every message already queued is handled: the mailbox closes
  /// (later messages are dead letters) and the actor stops when drained.
  void stop_gracefully() noexcept;

  // --- Relations, from any thread (relations.cpp) -------------------------------

  /// `watcher` gets Down when this actor stops (at once if it has).
  void add_monitor(ActorCellBase& watcher);
  /// Links this actor and `other` both ways.
  static void link(ActorCellBase& a, ActorCellBase& b);
  /// Adopts a new child (its supervisor is this actor); from this actor's
  /// own handlers.
  void adopt_child(ActorCellBase& child);
  /// Records the name the registry knows it by (one per actor), so that
  /// it is freed when the actor stops. False if it has one already or has
  /// stopped.
  bool set_name(const std::string& name);

  // --- The lifecycle (lifecycle.cpp) ---------------------------------------------

  /// Starts a cell made by spawn_actor: binds it to the scheduler and
  /// queues its first run (which constructs the actor).
  static void start(ActorCellBase& cell);
  /// Stops after the current handler returns; from its own handlers.
  void request_stop(ExitReason reason) noexcept;
  /// ReceiveTimeout after `d` without a message (Duration::zero(): none);
  /// from its own handlers.
  void set_receive_timeout(Duration d);
  /// SpawnOptions::stop_when_idle; before the actor starts.
  void set_stop_when_idle(Duration d);

 protected:
  ActorCellBase(SystemCore& system, ActorCellBase* parent, const MailboxOptions& mailbox);
  ~ActorCellBase();

  // TaskHeader
  bool poll() noexcept final;
  void take_result() noexcept final {}
  void destroy_frame() noexcept final;
  std::exception_ptr unobserved_failure() noexcept final { return nullptr; }

  // The typed part (ActorCellOf<A, Args...>).
  /// Constructs the instance and runs on_start; a Task if on_start waits.
  virtual Task<void> start_instance() = 0;
  /// Runs on_stop (exceptions reported, not thrown) and destroys the instance.
  virtual void stop_instance(const ExitReason& reason) noexcept = 0;
  /// Drops the constructor arguments kept for restarts (the actor is gone).
  virtual void release_args() noexcept = 0;
  virtual Task<void> deliver(EnvelopeBase& e) = 0;
  /// Delivers Down/Exit if A handles it; false if A has no such handler.
  virtual bool deliver_down(const Down& d) = 0;
  virtual bool deliver_exit(const Exit& x) = 0;
  virtual void deliver_receive_timeout() = 0;
  virtual SupervisorStrategy supervisor_strategy() const = 0;
  virtual const std::type_info& actor_type() const noexcept = 0;

 private:
  // The part an idle actor does without, made on first use (lifecycle.cpp).
  CellExtras& extras();
  // True once the actor has stopped (set by finalize, before its relations
  // close). Read by monitor/link/name requests from any thread. Seq_cst:
  // one half of the store-load pair explained at extras().
  bool stopped() const noexcept { return stopped_.load(std::memory_order_seq_cst); }

  // Lifecycle (lifecycle.cpp).
  bool ending() const noexcept {
    return phase_ == ActorPhase::kStopping || phase_ == ActorPhase::kDone;
  }
  void run_task(Task<void> t) noexcept;
  bool handler_running() const noexcept { return static_cast<bool>(current_); }
  enum class Idle { kWaiting, kReceiveTimeout, kStop };
  Idle idle_check(LifecycleExtras& l) noexcept;
  ExitReason exit_reason() const noexcept;
  void set_exit_reason(const ExitReason& r) noexcept;
  void finish_handler() noexcept;
  void handle_system(SystemMessage& m) noexcept;
  /// Handles what the system queue holds (what a running coroutine handler
  /// lets through); true once the actor is done. Out of the loop's way.
  [[gnu::noinline]] bool take_system_messages() noexcept;
  void suspend(const ExitReason& reason) noexcept;
  void restart() noexcept;
  void begin_stop(ExitReason reason) noexcept;
  void finalize(bool notify) noexcept;
  void discard_mailbox() noexcept;
  // Traced handlers (handler_span.cpp). deliver_traced: deliver and, for a
  // coroutine handler, run_task, under the handler's span (kept in the
  // extras while a coroutine handler runs); drop_span forgets the span of
  // a handler that was cancelled.
  [[gnu::cold]] void deliver_traced(EnvelopeBase& e);
  HandlerSpan* running_span() const noexcept;
  void end_running_span(bool threw) noexcept;
  void drop_span() noexcept;

  // Supervision (supervision.cpp).
  void fail(std::exception_ptr e) noexcept;
  void supervise(ActorCellBase& child, const ExitReason& reason, std::uint32_t instance) noexcept;

  // A push that finds the actor parked (on either queue) wakes the cell
  // directly: the actor is the task, so there is no Waker to register.
  //
  // The order is for the loop's sake: what every turn reads (the mailbox's
  // words, the handler, the extras pointer, the phase and flags, the system
  // queue's words) sits together, within 56 bytes after the mailbox's head,
  // so that a message costs the fewest cache lines.
  MailboxQueue mailbox_;
  Task<void> current_;                        // the coroutine handler (or on_start) in progress
  std::atomic<CellExtras*> extras_{nullptr};  // made once, by any thread: see extras()
  ActorPhase phase_ = ActorPhase::kStarting;
  bool stop_requested_ = false;
  Overflow overflow_;
  // Why it stops: requested (stop_requested_) or final (kStopping, kDone).
  // The kind lives here, the error (abnormal exits only) in the extras.
  ExitReason::Kind exit_kind_ = ExitReason::Kind::kNormal;
  // Where SystemCore keeps this actor if it is top-level (its mutex guards it).
  friend class SystemCore;
  friend class CellInspector;  // the live dump (cell_inspector.hpp)
  std::uint32_t top_level_slot_ = kNoSlot;
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};
  SystemQueue system_queue_;
  SystemCore* system_;
  CellPtr parent_;  // null for a top-level actor
  ActorId id_;
  // The restarts its supervisor has sent (the instance number a failure
  // reports); the actor's loop only. In the padding after id_, out of the
  // lines a turn reads.
  std::uint32_t restarts_ = 0;
  std::atomic<bool> stopped_{false};  // see stopped()
};

}  // namespace troupe::detail
