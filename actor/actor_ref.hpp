#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/ask_future.hpp>
#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/actor_handle.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/handler_traits.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe {

/// A typed handle to an actor of class A, wherever it lives: in this
/// process (from spawn, the registry, self()) or on another node (from
/// remote::Node::lookup or Node::ref). The only way to reach an actor.
/// Sending a message type A has no `handle` for does not compile.
///
///   ref.tell(m);                            // fire and forget
///   auto r = co_await ref.ask(m, 100ms);    // the handler's result, or why not
///   co_await ref.send(m);                   // tell that waits for room
///
/// The operations are the same for a remote actor: its messages travel as
/// protobuf envelopes, so only protobuf messages that A lists in its
/// `messages` (and, for an ask, a protobuf or void reply) can reach it;
/// anything else is a dead letter with DeadLetterReason::kLocalOnly (an
/// ask fails with kBadMessage). A remote ref is bound to one run
/// (incarnation) of its node; while that node is not connected, tells are
/// dead letters (kUnreachable) and asks fail at once.
///
/// A counted handle (copies are cheap and share the actor); it keeps the
/// actor's cell alive, not the actor: once the actor stops, messages become
/// dead letters and asks fail at once with AskError::kDeadActor. All
/// operations are thread-safe. Messages from one sender (one task or
/// thread, sending one after the other) are handled in the order sent,
/// across nodes too. A remote ref must not be used once its Node is
/// destroyed (dropping it then is fine).
template <class A>
class ActorRef {
 public:
  ActorRef() noexcept = default;
  /// A ref to a local actor's cell (spawn, lookup).
  explicit ActorRef(detail::CellPtr cell) noexcept : handle_(std::move(cell)) {}
  /// A ref to an actor on another node (the remote module makes these).
  explicit ActorRef(detail::RemotePtr remote) noexcept : handle_(std::move(remote)) {}
  explicit ActorRef(detail::ActorHandle handle) noexcept : handle_(std::move(handle)) {}

  /// The actor's id (on its node, for a remote actor).
  ActorId id() const noexcept { return handle_.id(); }
  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }
  /// True if the actor lives on another node.
  bool is_remote() const noexcept { return handle_.is_remote(); }
  /// The name of the actor's node, and the incarnation (run) of that node
  /// the ref is bound to; empty and 0 for a local actor.
  std::string_view node() const noexcept { return handle_.node(); }
  std::uint64_t incarnation() const noexcept { return handle_.incarnation(); }
  friend bool operator==(const ActorRef& a, const ActorRef& b) noexcept = default;

  /// Queues `m` for A's handler. Never waits: a full bounded mailbox
  /// refuses it (kFull, or kDropped with Overflow::kDrop) and a stopped
  /// actor does too (kDeadActor); every refused message is a dead letter.
  template <class M>
  [[gnu::always_inline]] TellStatus tell(M&& m) const {
    using Msg = std::remove_cvref_t<M>;
    check_handles<Msg>();
    if constexpr (detail::Handles<A, Msg>) {
      return handle_.tell(new detail::TellEnvelope<A, Msg>(Msg(std::forward<M>(m))));
    } else {
      return TellStatus::kDeadActor;  // not reached: check_handles failed
    }
  }

  /// `co_await send(m)`: tell, but waits for room in a full bounded mailbox
  /// with Overflow::kBackpressure (the other policies refuse at once), or
  /// in the full outbox to a remote actor's node. The message is offered
  /// when send() is called, as with tell and ask; the future waits only if
  /// there was no room, and sends once there is. A task whose sends keep
  /// finding room yields once every 512 of them (the run's budget, see
  /// runtime/detail/budget.hpp), so the actors it woke get to run.
  template <class M>
  detail::SendToActor send(M&& m) const {
    using Msg = std::remove_cvref_t<M>;
    check_handles<Msg>();
    if constexpr (detail::Handles<A, Msg>) {
      return handle_.send(new detail::TellEnvelope<A, Msg>(Msg(std::forward<M>(m))));
    } else {
      return detail::SendToActor(nullptr, TellStatus::kDeadActor);  // not reached
    }
  }

  /// `co_await ask(m)`: what A's handler for `m` returns (through its Task
  /// if it is a coroutine), as an AskResult; an error if the actor is dead
  /// or stops first, the handler throws, or its bounded mailbox is full and
  /// refuses (Overflow::kFail, kDrop). With Overflow::kBackpressure a full
  /// mailbox makes the ask wait for room, as send() does: the message is
  /// then sent when the future is first polled, and a timeout that passes
  /// before there is room means it was never sent.
  template <class M>
  auto ask(M&& m) const {
    return ask_impl(std::forward<M>(m), std::nullopt);
  }
  /// Like ask(m), failing with AskError::kTimeout if no reply comes within
  /// `timeout` (the handler may still run; its reply is then dropped). To
  /// a remote actor the deadline travels with the message.
  template <class M>
  auto ask(M&& m, Duration timeout) const {
    return ask_impl(std::forward<M>(m), timeout);
  }

  /// Stops the actor at once: queued messages become dead letters (failing
  /// their asks), a handler waiting in a co_await is cancelled.
  void stop() const noexcept { handle_.stop(); }
  /// Stops the actor once it has handled what is already queued; later
  /// messages are dead letters. (Local actors only; on a remote ref it is
  /// stop().)
  void stop_gracefully() const noexcept { handle_.stop_gracefully(); }

  /// `watcher` (a local actor) gets Down when this actor stops, at once if
  /// it has; for a remote actor also when its node is lost (kNodeDown).
  /// The same as `monitor(ref)` in the watcher's own handlers.
  template <class W>
  void monitor(const ActorRef<W>& watcher) const {
    if (auto* w = watcher.cell()) handle_.monitor_by(*w);
  }
  /// Links this actor and `other` (a local actor): when either stops
  /// abnormally, the other gets Exit. With a remote actor the link goes one
  /// way: `other` gets Exit when this actor stops abnormally or its node is
  /// lost.
  template <class B>
  void link(const ActorRef<B>& other) const {
    if (auto* o = other.cell()) handle_.link_with(*o);
  }

  /// The untyped handle, for the framework's own use (monitor, link,
  /// registry, timers): the cell of a local actor, or the way to a remote.
  const detail::ActorHandle& handle() const noexcept { return handle_; }
  detail::ActorCellBase* cell() const noexcept { return handle_.cell(); }

 private:
  template <class Msg>
  static constexpr void check_handles() {
    static_assert(detail::Handles<A, Msg>,
                  "this actor has no handler for this message type: add "
                  "`handle(const Msg&)` to the actor class (or send another type)");
  }

  template <class M>
  auto ask_impl(M&& m, std::optional<Duration> timeout) const {
    using Msg = std::remove_cvref_t<M>;
    check_handles<Msg>();
    if constexpr (detail::Handles<A, Msg>) return ask_checked<Msg>(std::forward<M>(m), timeout);
  }
  template <class Msg, class M>
  auto ask_checked(M&& m, std::optional<Duration> timeout) const {
    using R = detail::ReplyOf<A, Msg>;
    auto* slot = detail::ReplySlot<R>::make();
    auto* e = new detail::AskEnvelope<A, Msg>(Msg(std::forward<M>(m)), slot);
    return AskFuture<R>(slot, timeout, handle_.ask(e, timeout),
                        detail::AskTarget{handle_.id(), &typeid(Msg), handle_.node(), timeout});
  }

  detail::ActorHandle handle_;
};

}  // namespace troupe
