#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/ask_future.hpp>
#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/handler_traits.hpp>
#include <troupe/actor/detail/mailbox_send.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe {

/// A typed handle to an actor of class A: the only way to reach it. Sending
/// a message type A has no `handle` for does not compile.
///
///   ref.tell(m);                            // fire and forget
///   auto r = co_await ref.ask(m, 100ms);    // the handler's result, or why not
///   co_await ref.send(m);                   // tell that waits for mailbox room
///
/// A counted handle (copies are cheap and share the actor); it keeps the
/// actor's cell alive, not the actor: once the actor stops, messages become
/// dead letters and asks fail at once with AskError::kDeadActor. All
/// operations are thread-safe. Messages from one sender (one task or
/// thread, sending one after the other) are handled in the order sent.
template <class A>
class ActorRef {
 public:
  ActorRef() noexcept = default;
  /// A ref to a local actor's cell (spawn, lookup).
  explicit ActorRef(detail::CellPtr cell) noexcept : cell_(std::move(cell)) {}

  ActorId id() const noexcept { return cell_ ? cell_->id() : 0; }
  explicit operator bool() const noexcept { return cell_ != nullptr; }
  friend bool operator==(const ActorRef& a, const ActorRef& b) noexcept {
    return a.cell_ == b.cell_;
  }

  /// Queues `m` for A's handler. Never waits: a full bounded mailbox
  /// refuses it (kFull, or kDropped with Overflow::kDrop) and a stopped
  /// actor does too (kDeadActor); every refused message is a dead letter.
  template <class M>
  TellStatus tell(M&& m) const {
    using Msg = std::remove_cvref_t<M>;
    check_handles<Msg>();
    if constexpr (detail::Handles<A, Msg>) {
      return offer(new detail::TellEnvelope<A, Msg>(Msg(std::forward<M>(m))));
    } else {
      return TellStatus::kDeadActor;  // not reached: check_handles failed
    }
  }

  /// `co_await send(m)`: tell, but waits for room in a full bounded mailbox
  /// with Overflow::kBackpressure (the other policies refuse at once).
  template <class M>
  detail::MailboxSend send(M&& m) const {
    using Msg = std::remove_cvref_t<M>;
    check_handles<Msg>();
    if constexpr (detail::Handles<A, Msg>) {
      return detail::MailboxSend(*cell_, new detail::TellEnvelope<A, Msg>(Msg(std::forward<M>(m))));
    } else {
      return detail::MailboxSend(*cell_, nullptr);  // not reached: check_handles failed
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
  /// `timeout` (the handler may still run; its reply is then dropped).
  template <class M>
  auto ask(M&& m, Duration timeout) const {
    return ask_impl(std::forward<M>(m), timeout);
  }

  /// Stops the actor at once: queued messages become dead letters (failing
  /// their asks), a handler waiting in a co_await is cancelled.
  void stop() const noexcept { cell_->stop_now(ExitReason::stopped()); }
  /// Stops the actor once it has handled what is already queued; later
  /// messages are dead letters.
  void stop_gracefully() const noexcept { cell_->stop_gracefully(); }

  /// The cell, for the framework's own use (monitor, link, registry).
  detail::ActorCellBase* cell() const noexcept { return cell_.get(); }

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
    if (cell_->overflow() != Overflow::kBackpressure) {
      (void)offer(e);  // a full mailbox refuses it: a dead letter that fails the ask
      return AskFuture<R>(slot, timeout);
    }
    switch (cell_->offer(e)) {
      case detail::ActorCellBase::Offer::kAccepted:
        break;
      case detail::ActorCellBase::Offer::kFull:
        // No room now: the future sends it when polled, waiting as send() does.
        return AskFuture<R>(slot, timeout, std::make_unique<detail::MailboxAskSubmit>(*cell_, e));
      case detail::ActorCellBase::Offer::kClosed:
        cell_->dead_letter(e, DeadLetterReason::kStopped, AskError::kDeadActor);
        break;
    }
    return AskFuture<R>(slot, timeout);
  }

  TellStatus offer(detail::EnvelopeBase* e) const noexcept { return cell_->tell(e); }

  detail::CellPtr cell_;
};

}  // namespace troupe
