#pragma once

#include <utility>

#include <troupe/actor/ask_future.hpp>
#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/cell_ptr.hpp>
#include <troupe/actor/detail/offer_outcome.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/channels/detail/waiter_list.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::detail {

/// Offers `e` to `cell` for a sender that may wait for room (send, ask):
/// queued, or refused and handed to the dead letters (which fails an ask),
/// or `wait` (a full mailbox under backpressure: `e` is still the caller's).
inline OfferOutcome offer_or_wait(ActorCellBase& cell, EnvelopeBase* e) noexcept {
  const OfferOutcome o = offer_outcome(cell.offer(e), cell.overflow(), /*may_wait=*/true);
  if (o.refused()) cell.dead_letter(e, o.reason, o.ask);
  return o;
}

/// The Future behind `co_await ref.send(m)`: like tell, but on a full
/// bounded mailbox with Overflow::kBackpressure it waits for room instead
/// of refusing. Owns the envelope until the mailbox takes it; destroying a
/// pending send (its task cancelled) destroys the message unsent. Holds a
/// reference on the cell. Not movable once polled; polled by one task.
class MailboxSend {
 public:
  MailboxSend(ActorCellBase& cell, EnvelopeBase* e) noexcept : cell_(cell), envelope_(e) {}
  MailboxSend(MailboxSend&& o) noexcept
      : cell_(std::move(o.cell_)),
        envelope_(std::exchange(o.envelope_, nullptr)),
        status_(o.status_),
        done_(o.done_) {}
  MailboxSend& operator=(MailboxSend&&) = delete;
  ~MailboxSend() {
    if (!cell_) return;
    // Handed a free slot but leaving without using it: pass it on.
    if (enlisted_ && cell_->mailbox().senders_waiting().remove(node_)) {
      cell_->mailbox().senders_waiting().notify_one();
    }
    delete envelope_;
  }

  bool poll(Context& cx) noexcept {
    if (done_) return true;
    if (attempt()) return true;
    cell_->mailbox().senders_waiting().enlist(node_, cx);
    enlisted_ = true;
    return attempt();  // the re-check after enlisting
  }
  TellStatus await_resume() const noexcept { return status_; }

 private:
  bool attempt() noexcept {
    const OfferOutcome o = offer_or_wait(*cell_, envelope_);
    if (o.wait) return false;
    envelope_ = nullptr;  // the mailbox's, or a dead letter
    status_ = o.status;
    if (enlisted_) {  // a wake it was handed is used by this attempt
      cell_->mailbox().senders_waiting().remove(node_);
      enlisted_ = false;
    }
    done_ = true;
    return true;
  }

  CellPtr cell_;
  EnvelopeBase* envelope_;
  ChannelWaiter node_;
  TellStatus status_ = TellStatus::kQueued;
  bool enlisted_ = false;
  bool done_ = false;
};

/// The sending half of an ask to a full bounded mailbox with
/// Overflow::kBackpressure: the AskFuture polls it until the message is in,
/// as `co_await send(m)` would wait. If the mailbox refuses it (the actor
/// stopped), the envelope's dead letter fails the ask. Owned by the
/// AskFuture; polled by one task.
class MailboxAskSubmit final : public AskSubmit {
 public:
  MailboxAskSubmit(ActorCellBase& cell, EnvelopeBase* e) noexcept : send_(cell, e) {}
  bool poll(Context& cx) noexcept override { return send_.poll(cx); }

 private:
  MailboxSend send_;
};

}  // namespace troupe::detail
