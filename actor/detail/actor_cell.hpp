#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <typeinfo>
#include <vector>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/detail/cell_ptr.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/system_core.hpp>
#include <troupe/actor/exit_reason.hpp>
#include <troupe/actor/mailbox_options.hpp>
#include <troupe/actor/supervisor_strategy.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/channels/detail/mpsc_queue.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/block_pool.hpp>
#include <troupe/runtime/detail/task_header.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::detail {

class ActorCellBase;

/// A message from the runtime of actors to one actor, ahead of its
/// mailbox: stop, restart, a child's failure or end, Down, Exit.
/// BlockPool memory (every actor's end posts one to its parent).
struct SystemMessage : PooledObject {
  enum class Kind {
    kStop,          // stop at once with `reason`
    kRestart,       // from the supervisor: a fresh instance
    kChildFailed,   // from a child: it failed with `reason`, decide
    kChildStopped,  // from a child: it is gone
    kDown,          // a monitored actor stopped with `reason`
    kExit,          // a linked actor stopped abnormally with `reason`
  };
  Kind kind;
  ActorCellBase* from;  // retained; nullptr for kStop from outside
  ActorId from_id;
  ExitReason reason;
  std::uint64_t from_node = 0;  // kDown from a remote actor: its node's incarnation
  SystemMessage* next = nullptr;
};

/// The type-erased part of an actor: a task (TaskHeader) whose poll is the
/// actor's message loop instead of a coroutine, its mailbox, its system
/// messages, and its place among other actors (parent, children, monitors,
/// links, name). ActorCell<A> adds the instance of A and the typed dispatch.
///
/// Refcounted like any task: the executor's owner list, run queues, and
/// every ActorRef hold references; the memory goes with the last one, while
/// the actor itself (its state, its loop) ends when it stops. The loop runs
/// on one worker at a time; producers (offer, post) are thread-safe.
class ActorCellBase : public TaskHeader {
 public:
  /// The mailbox queue; uncounted (nothing asks an actor's mailbox size).
  using Mailbox = MpscQueue<false>;

  ActorId id() const noexcept { return id_; }
  SystemCore& system() const noexcept { return *system_; }

  // --- From any thread ---------------------------------------------------------

  enum class Offer { kAccepted, kFull, kClosed };
  /// Puts `e` in the mailbox; on kFull or kClosed `e` is still the caller's.
  Offer offer(EnvelopeBase* e) noexcept;
  /// Puts `e` in the mailbox or, if refused, makes it a dead letter (an ask
  /// in it fails at once). Takes ownership of `e`.
  TellStatus tell(EnvelopeBase* e) noexcept;
  /// Reports `e` as a dead letter, refuses it (failing an ask with `ask`)
  /// and destroys it.
  void dead_letter(EnvelopeBase* e, DeadLetterReason why, AskError ask) noexcept;
  Overflow overflow() const noexcept { return overflow_; }
  Mailbox& mailbox() noexcept { return mailbox_; }

  /// Queues a system message (overtakes the mailbox) and wakes the actor.
  void post(SystemMessage::Kind kind, ActorCellBase* from, ExitReason reason) noexcept;
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

  /// `watcher` gets Down when this actor stops (at once if it has).
  void add_monitor(ActorCellBase& watcher);
  /// Links this actor and `other` both ways.
  static void link(ActorCellBase& a, ActorCellBase& b);

  // --- From the actor's own handlers (its worker thread) -------------------------

  /// Stops after the current handler returns.
  void request_stop(ExitReason reason) noexcept;
  /// Adopts a new child (its supervisor is this actor).
  void adopt_child(ActorCellBase& child);
  /// Starts a cell made by ActorCell<A>::make: binds it to the scheduler
  /// and queues its first run (which constructs the actor).
  static void start(ActorCellBase& cell);
  /// Records the name the registry knows it by (one per actor), so that
  /// it is freed when the actor stops. False if it has one already or has
  /// stopped.
  bool set_name(const std::string& name);

  /// ReceiveTimeout after `d` without a message (Duration::zero(): none).
  void set_receive_timeout(Duration d);

 protected:
  ActorCellBase(SystemCore& system, ActorCellBase* parent, const MailboxOptions& mailbox);
  ~ActorCellBase();

  // TaskHeader
  bool poll() noexcept final;
  void take_result() noexcept final {}
  void destroy_frame() noexcept final;
  std::exception_ptr unobserved_failure() noexcept final { return nullptr; }

  // The typed part (ActorCell<A>).
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
  enum class Phase : std::uint8_t {
    kStarting,   // the instance is to be constructed
    kRunning,    // handling messages
    kSuspended,  // failed; waiting for its supervisor's decision
    kStopping,   // waiting for its children to stop
    kDone,
  };
  struct Relations;  // children, monitors, links, name: allocated on first use

  Relations& relations();
  void run_task(Task<void> t) noexcept;
  bool handler_running() const noexcept { return static_cast<bool>(current_); }
  bool stop_pending() const noexcept;
  bool idle_timed_out(Context& cx) noexcept;
  ExitReason exit_reason() const noexcept;
  void set_exit_reason(const ExitReason& r) noexcept;
  void finish_handler() noexcept;
  void handle_system(SystemMessage& m) noexcept;
  void fail(std::exception_ptr e) noexcept;
  void restart() noexcept;
  void supervise(ActorCellBase& child, const ExitReason& reason) noexcept;
  void begin_stop(ExitReason reason) noexcept;
  void finalize() noexcept;
  void discard_mailbox() noexcept;
  void take_system() noexcept;
  void push_system(SystemMessage* m) noexcept;
  void free_system_messages() noexcept;

  // A push that finds the actor parked wakes the cell directly: the actor
  // is the task, so there is no Waker to register or clone.
  Mailbox mailbox_;
  std::atomic<SystemMessage*> system_head_{nullptr};
  SystemMessage* system_local_ = nullptr;  // taken from system_head_, oldest first
  SystemCore* system_;
  ActorCellBase* parent_;  // retained; nullptr for a top-level actor
  std::atomic<Relations*> relations_{nullptr};
  Task<void> current_;  // the coroutine handler (or on_start) in progress
  ActorId id_;
  // Why it stops: requested (stop_requested_) or final (kStopping, kDone).
  // The kind lives here, the error (abnormal exits only) in the relations,
  // which keeps an idle actor within 256 bytes.
  ExitReason::Kind exit_kind_ = ExitReason::Kind::kNormal;
  Overflow overflow_;
  // Where SystemCore keeps this actor if it is top-level (its mutex guards it).
  friend class SystemCore;
  std::uint32_t top_level_slot_ = kNoSlot;
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};
  Phase phase_ = Phase::kStarting;
  bool stop_requested_ = false;
  // Set once the actor has stopped, before its watchers and links are
  // collected: monitor/link/name requests that come later see it (under the
  // relations mutex) and act on the exit instead of registering.
  std::atomic<bool> stopped_{false};
};

}  // namespace troupe::detail
