// The producer side of an actor's cell: what other threads do to put
// something in front of the actor. Messages go into the mailbox (or become
// dead letters, by the rules of offer_outcome.hpp); system messages go into
// the system queue. A push that finds the actor parked wakes the cell.

#include <utility>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/offer_outcome.hpp>

namespace troupe::detail {

ActorCellBase::Offer ActorCellBase::offer(EnvelopeBase* e) noexcept {
  e->take_current_trace();
  switch (mailbox_.reserve()) {
    case ChannelOutcome::kDone:
      switch (mailbox_.push(e)) {
        case MailboxQueue::Push::kPushedWake:
          wake();
          [[fallthrough]];
        case MailboxQueue::Push::kPushed:
          return Offer::kAccepted;
        case MailboxQueue::Push::kClosed:
          return Offer::kClosed;
      }
      return Offer::kClosed;
    case ChannelOutcome::kWouldBlock:
      return Offer::kFull;
    case ChannelOutcome::kClosed:
      break;
  }
  return Offer::kClosed;
}

TellStatus ActorCellBase::tell(EnvelopeBase* e) noexcept {
  const OfferOutcome o = offer_outcome(offer(e), overflow_, /*may_wait=*/false);
  if (o.refused()) dead_letter(e, o.reason, o.ask);
  return o.status;
}

void ActorCellBase::dead_letter(EnvelopeBase* e, DeadLetterReason why, AskError ask) noexcept {
  system_->dead_letter(DeadLetter{id_, e->type().name(), why});
  e->refuse(ask);
  delete e;
}

void ActorCellBase::post(SystemMessage::Kind kind, ActorCellBase* from, ExitReason reason,
                         std::uint32_t instance) noexcept {
  auto* m = from ? new SystemMessage(kind, CellPtr(*from), from->id(), std::move(reason))
                 : new SystemMessage(kind, nullptr, 0, std::move(reason));
  m->instance = instance;
  if (system_queue_.push(m)) wake();
}

void ActorCellBase::post_remote_down(ActorId id, std::uint64_t node, ExitReason reason) noexcept {
  auto* m = new SystemMessage(SystemMessage::Kind::kDown, nullptr, id, std::move(reason), node);
  if (system_queue_.push(m)) wake();
}

void ActorCellBase::post_remote_exit(ActorId id, std::uint64_t node, ExitReason reason) noexcept {
  auto* m = new SystemMessage(SystemMessage::Kind::kExit, nullptr, id, std::move(reason), node);
  if (system_queue_.push(m)) wake();
}

void ActorCellBase::stop_gracefully() noexcept {
  if (mailbox_.close()) wake();  // it may be parked on the empty mailbox
}

}  // namespace troupe::detail
