#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/cell_ptr.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/mailbox_send.hpp>
#include <troupe/actor/detail/offer_outcome.hpp>
#include <troupe/actor/detail/remote_target.hpp>
#include <troupe/actor/detail/send_to_actor.hpp>
#include <troupe/actor/exit_reason.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe::detail {

/// The untyped part of every handle to an actor (ActorRef, Address): the
/// actor's cell if it lives in this process, or the way to it if it lives
/// on another node; one of the two, neither in an empty handle. Everything
/// here takes envelopes the typed handle made; which way they go is
/// decided here, once. A counted value; thread-safe.
class ActorHandle {
 public:
  ActorHandle() noexcept = default;
  explicit ActorHandle(CellPtr cell) noexcept : cell_(std::move(cell)) {}
  explicit ActorHandle(RemotePtr remote) noexcept : remote_(std::move(remote)) {}

  ActorId id() const noexcept { return cell_ ? cell_->id() : remote_ ? remote_->id() : 0; }
  explicit operator bool() const noexcept { return cell_ || remote_; }
  bool is_remote() const noexcept { return static_cast<bool>(remote_); }
  std::string_view node() const noexcept {
    return remote_ ? std::string_view(remote_->node()) : std::string_view();
  }
  std::uint64_t incarnation() const noexcept { return remote_ ? remote_->incarnation() : 0; }
  friend bool operator==(const ActorHandle& a, const ActorHandle& b) noexcept {
    if (a.remote_ && b.remote_) return a.remote_->same_actor(*b.remote_);
    return a.cell_ == b.cell_ && a.remote_ == b.remote_;
  }

  /// Takes `e`: queued, or refused as a dead letter. Always inlined, and
  /// the remote case kept out of line, so that a local tell costs what
  /// `cell->tell(e)` alone would where it is written (the callers' own
  /// inlining depends on it).
  [[gnu::always_inline]] TellStatus tell(EnvelopeBase* e) const noexcept {
    if (cell_) [[likely]] {
      return cell_->tell(e);
    }
    return tell_remote(e);
  }
  /// Takes `e`, an ask's envelope: queued, or refused as a dead letter
  /// (which fails the ask). Null when that is decided at once, else the
  /// submission the ask's future polls while it waits for room (a full
  /// mailbox under backpressure, a full outbox to another node).
  [[gnu::always_inline]] std::unique_ptr<AskSubmit> ask(
      EnvelopeBase* e, std::optional<Duration> timeout) const noexcept {
    if (!cell_) [[unlikely]] {
      return remote_->ask(e, timeout);
    }
    if (offer_or_wait(*cell_, e).wait) return std::make_unique<MailboxAskSubmit>(*cell_, e);
    return nullptr;
  }
  /// Takes `e`: queued once there is room (see ActorRef::send).
  /// Offered at once, like tell: only a send that must wait holds the cell
  /// (a reference count taken and dropped per message would be a write to
  /// the cell's line, which the actor's worker uses, on every send).
  SendToActor send(EnvelopeBase* e) const noexcept {
    if (cell_) {
      const OfferOutcome o = offer_or_wait(*cell_, e);
      if (o.wait) return SendToActor(MailboxSend(*cell_, e));
      return SendToActor(nullptr, o.status);
    }
    TellStatus status = TellStatus::kQueued;
    auto pending = remote_->send(e, &status);
    return SendToActor(std::move(pending), status);
  }

  void stop() const noexcept {
    if (cell_) {
      cell_->stop_now(ExitReason::stopped());
    } else {
      remote_->stop();
    }
  }
  void stop_gracefully() const noexcept {
    if (cell_) {
      cell_->stop_gracefully();
    } else {
      remote_->stop();
    }
  }
  /// `watcher` gets Down when this actor stops (see ActorRef::monitor).
  void monitor_by(ActorCellBase& watcher) const {
    if (cell_) {
      cell_->add_monitor(watcher);
    } else {
      remote_->monitor(watcher);
    }
  }
  /// Links this actor and `other` (see ActorRef::link).
  void link_with(ActorCellBase& other) const {
    if (cell_) {
      ActorCellBase::link(*cell_, other);
    } else {
      remote_->link(other);
    }
  }

  /// Where work on the handle's behalf runs (timers): the actor's runtime,
  /// or for a remote actor the runtime of the system holding the handle.
  Scheduler& scheduler() const noexcept { return cell_ ? *cell_->scheduler : remote_->scheduler(); }
  ActorCellBase* cell() const noexcept { return cell_.get(); }
  RemoteTarget* remote() const noexcept { return remote_.get(); }

 private:
  [[gnu::cold, gnu::noinline]] TellStatus tell_remote(EnvelopeBase* e) const noexcept {
    return remote_->tell(e);
  }

  CellPtr cell_;
  RemotePtr remote_;
};

/// Anything that reaches an actor (ActorRef<A>, Address<M>): what monitor
/// and link accept.
template <class H>
concept Handle = requires(const H& h) {
  { h.handle() } -> std::same_as<const ActorHandle&>;
};

}  // namespace troupe::detail
