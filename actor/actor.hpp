#pragma once

#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/actor_cell_of.hpp>
#include <troupe/actor/exit_reason.hpp>
#include <troupe/actor/spawn_options.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe {

/// The base of an actor class (CRTP): `struct Counter : troupe::Actor<Counter>`.
///
/// An actor class holds the actor's state and one `handle` member function
/// per message type it accepts:
///
///   void handle(const Add& m);              // tell
///   std::int64_t handle(const Get&);        // ask: the return value is the reply
///   troupe::Task<void> handle(Flush m);     // a coroutine handler
///
/// Handlers run one message at a time, never concurrently, so the state
/// needs no locks. A coroutine handler holds the mailbox until it finishes:
/// the next message waits (system messages too, except a stop, which
/// cancels it). Optional hooks: `on_start()` (void or Task<void>),
/// `on_stop(const ExitReason&)`, `static SupervisorStrategy
/// supervisor_strategy()` for the children it spawns, and handlers for the
/// system messages Down and Exit. An exception escaping a handler or
/// on_start fails the actor: its supervisor restarts it (a fresh instance,
/// made from the same constructor arguments; same ref, same mailbox),
/// stops it, or escalates.
///
/// Deriving from Actor<Self> is optional (any class with handlers works);
/// it gives the handlers the members below, which act on this actor and
/// may only be called from its own handlers and hooks (or its constructor).
template <class Self>
class Actor {
 public:
  Actor(const Actor&) = delete;
  Actor& operator=(const Actor&) = delete;

 protected:
  Actor() noexcept : cell_(detail::constructing_cell()) {}
  ~Actor() = default;

  /// A ref to this actor (to hand out, or to tell itself something).
  ActorRef<Self> self() const noexcept { return ActorRef<Self>(detail::CellPtr(*cell_)); }
  ActorId id() const noexcept { return cell_->id(); }

  /// Stops this actor once the current handler returns: what is still
  /// queued becomes dead letters. `reason` defaults to a normal exit.
  void stop(ExitReason reason = ExitReason::normal()) noexcept { cell_->request_stop(reason); }

  /// Spawns a child: this actor supervises it (see supervisor_strategy) and
  /// it stops before this actor does.
  template <class Child, class... Args>
  ActorRef<Child> spawn(Args&&... args) {
    return spawn_with<Child>(SpawnOptions{}, std::forward<Args>(args)...);
  }
  template <class Child, class... Args>
  ActorRef<Child> spawn_with(const SpawnOptions& options, Args&&... args) {
    return ActorRef<Child>(
        detail::spawn_actor<Child>(cell_->system(), cell_, options, std::forward<Args>(args)...));
  }

  /// After `d` without a message, this actor gets ReceiveTimeout (again
  /// after each further `d` of silence). Duration::zero() turns it off.
  void set_receive_timeout(Duration d) { cell_->set_receive_timeout(d); }

  /// Delivers `Down` to this actor when `target` stops (at once if it has;
  /// for a remote actor, also when its node is lost: ExitReason::kNodeDown).
  template <detail::Handle H>
  void monitor(const H& target) {
    target.handle().monitor_by(*cell_);
  }
  /// Links this actor and `other`: when either stops abnormally, the other
  /// gets Exit (and stops too, unless it handles Exit). With a remote
  /// actor the link goes one way: this actor gets Exit when the other
  /// stops abnormally or its node is lost.
  template <detail::Handle H>
  void link(const H& other) {
    other.handle().link_with(*cell_);
  }

 private:
  detail::ActorCellBase* cell_;
};

}  // namespace troupe
