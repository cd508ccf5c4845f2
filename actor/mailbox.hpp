#pragma once

#include <utility>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/loop_envelope.hpp>
#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/detail/channel_outcome.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/budget.hpp>
#include <troupe/runtime/detail/metrics_counters.hpp>

namespace troupe {

/// The mailbox of an actor written as a plain loop (`ActorSystem::spawn_loop`):
/// a stream (AsyncStream) of its messages in arrival order, ending when the
/// actor is stopped gracefully and drained.
///
///   system.spawn_loop<Line>([](troupe::Mailbox<Line>& mailbox) -> troupe::Task<void> {
///     while (auto line = co_await mailbox.next()) ...
///   });
///
/// It works with the stream combinators (`mailbox | stream::ready_chunks(64)`).
/// Owned by the actor and lent to its loop by reference: it must be
/// consumed by that loop only (a push wakes the actor, not another task).
template <class M>
class Mailbox : public StreamBase<Mailbox<M>> {
 public:
  using value_type = M;

  explicit Mailbox(detail::ActorCellBase* cell) noexcept : cell_(cell) {}
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  StreamPoll<M> poll_next(Context& cx) {
    if (!detail::poll_budget(cx)) return StreamPoll<M>::pending();
    detail::ChannelOutcome outcome;
    // The push that finds the mailbox parked wakes the actor, which is the
    // task running this loop: nothing to register.
    detail::MpscNode* node = cell_->mailbox().poll(outcome, [] { return true; });
    if (node == nullptr) {
      return outcome == detail::ChannelOutcome::kClosed ? StreamPoll<M>::end()
                                                        : StreamPoll<M>::pending();
    }
    // A loop actor's cell gets LoopEnvelope<M>s only: Address<M> and the
    // loop's dispatch table make nothing else (no asks, no other type).
    auto* e = static_cast<detail::LoopEnvelope<M>*>(static_cast<detail::EnvelopeBase*>(node));
    struct Free {
      detail::EnvelopeBase* e;
      ~Free() { delete e; }
    } free{e};
    detail::count_messages_handled();  // taken by the loop: handled, for metrics
    return StreamPoll<M>::item(std::move(e->message()));
  }

 private:
  detail::ActorCellBase* cell_;
};

}  // namespace troupe
