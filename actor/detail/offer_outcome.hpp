#pragma once

#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/dead_letter.hpp>
#include <troupe/actor/mailbox_options.hpp>
#include <troupe/actor/tell_status.hpp>

namespace troupe::detail {

/// What a mailbox said to one message (ActorCellBase::offer): taken,
/// full (bounded, no room now), or closed (the actor stops or has stopped).
enum class OfferResult { kAccepted, kFull, kClosed };

/// What becomes of a message after its mailbox said `OfferResult`: the one
/// place that maps a mailbox's answer and its overflow policy to what
/// `tell`, `send` and `ask` report. A plain value; thread-safe.
struct OfferOutcome {
  /// What tell/send report (kQueued: the mailbox has it).
  TellStatus status = TellStatus::kQueued;
  /// The mailbox is full and the sender may wait for room: offer it again
  /// once there is (the message is still the sender's).
  bool wait = false;
  /// When refused(): why it is a dead letter, and what an ask in it fails with.
  DeadLetterReason reason = DeadLetterReason::kStopped;
  AskError ask = AskError::kDeadActor;

  /// The message will not be delivered: the sender makes it a dead letter
  /// (ActorCellBase::dead_letter(e, reason, ask)).
  constexpr bool refused() const noexcept { return !wait && status != TellStatus::kQueued; }
};

/// The outcome of `result` for a mailbox with `overflow`. `may_wait`: the
/// sender can wait for room (`send`, `ask`), which it does on a full
/// mailbox with Overflow::kBackpressure; `tell` never waits.
constexpr OfferOutcome offer_outcome(OfferResult result, Overflow overflow,
                                     bool may_wait) noexcept {
  switch (result) {
    case OfferResult::kAccepted:
      return {};
    case OfferResult::kFull:
      if (may_wait && overflow == Overflow::kBackpressure) {
        return {TellStatus::kQueued, true, DeadLetterReason::kStopped, AskError::kDeadActor};
      }
      if (overflow == Overflow::kDrop) {
        return {TellStatus::kDropped, false, DeadLetterReason::kDropped, AskError::kMailboxFull};
      }
      return {TellStatus::kFull, false, DeadLetterReason::kMailboxFull, AskError::kMailboxFull};
    case OfferResult::kClosed:
      break;
  }
  return {TellStatus::kDeadActor, false, DeadLetterReason::kStopped, AskError::kDeadActor};
}

}  // namespace troupe::detail
