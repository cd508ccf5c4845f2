#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/ask_future.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/exit_reason.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/ref_ptr.hpp>
#include <troupe/runtime/detail/scheduler.hpp>

namespace troupe::detail {

class ActorCellBase;

/// A send that found the way to another node full and waits for room,
/// polled by the `co_await ref.send(m)` that started it. Owns the message
/// until it is sent; dropped unsent, it drops the message (a dead letter).
class WireSend {
 public:
  virtual ~WireSend() = default;
  /// True once the message is queued or refused; then status() says which.
  virtual bool poll(Context& cx) noexcept = 0;
  virtual TellStatus status() const noexcept = 0;
};

/// The way to an actor that lives on another node: what an ActorRef's
/// operations become when its actor is not in this process. The remote
/// module implements it (one per ref a node gives out, shared by the ref's
/// copies); the actor module knows only this interface, which is what lets
/// one ActorRef type reach an actor wherever it lives.
///
/// Every operation takes the envelope the ref made, as for a local actor;
/// one whose message cannot cross (see EnvelopeBase::wire_message) is
/// refused as a dead letter (DeadLetterReason::kLocalOnly), never sent.
/// Counted (RefPtr); thread-safe.
class RemoteTarget {
 public:
  RemoteTarget(const RemoteTarget&) = delete;
  RemoteTarget& operator=(const RemoteTarget&) = delete;

  /// The actor's id on its node.
  ActorId id() const noexcept { return id_; }
  /// The name of its node, and the incarnation (run) of it this ref is
  /// bound to: once that node restarts, the ref is stale for good.
  const std::string& node() const noexcept { return node_; }
  std::uint64_t incarnation() const noexcept { return incarnation_; }
  /// The runtime of the local system that holds the ref (where its
  /// timers run).
  Scheduler& scheduler() const noexcept { return scheduler_; }
  bool same_actor(const RemoteTarget& o) const noexcept {
    return id_ == o.id_ && incarnation_ == o.incarnation_ && node_ == o.node_;
  }

  /// Sends a tell's envelope (taking it); never waits: a refusal is a dead
  /// letter (kUnreachable while the node is not connected, kDeadActor for
  /// a stale incarnation, kFull for a full outbox).
  virtual TellStatus tell(EnvelopeBase* e) noexcept = 0;
  /// Like tell, but waits for room in a full outbox: null if it is done at
  /// once (`*status` says how), else the send to poll.
  virtual std::unique_ptr<WireSend> send(EnvelopeBase* e, TellStatus* status) noexcept = 0;
  /// Sends an ask's envelope (taking it); its reply (or failure) completes
  /// the envelope's reply slot. The deadline travels with it, so the other
  /// node gives up too. Null if it is sent or failed at once, else the
  /// submission the AskFuture polls (the outbox was full).
  virtual std::unique_ptr<AskSubmit> ask(EnvelopeBase* e,
                                         std::optional<Duration> timeout) noexcept = 0;
  /// `watcher` gets Down when the actor stops, or with kNodeDown when its
  /// node is lost; at once if it is not connected or the ref is stale.
  virtual void monitor(ActorCellBase& watcher) noexcept = 0;
  /// `linked` gets Exit when the actor stops abnormally or its node is
  /// lost, as a local link would give it.
  virtual void link(ActorCellBase& linked) noexcept = 0;
  /// Asks the actor's node to stop it now (as ActorRef::stop does here).
  virtual void stop() noexcept = 0;
  /// False when a message sent now would be refused at once: the node is
  /// not connected, or not the run this ref is bound to. (True is no
  /// promise: the connection may be lost on the way.)
  virtual bool reachable() const noexcept { return true; }

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    // acq_rel: the last release sees every other holder's writes before
    // the object goes.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 protected:
  RemoteTarget(Scheduler& scheduler, std::string node, std::uint64_t incarnation, ActorId id)
      : scheduler_(scheduler), node_(std::move(node)), incarnation_(incarnation), id_(id) {}
  virtual ~RemoteTarget() = default;

 private:
  Scheduler& scheduler_;
  const std::string node_;
  const std::uint64_t incarnation_;
  const ActorId id_;
  // Relaxed increments: a new reference is made from an existing one, which
  // keeps the object alive meanwhile.
  std::atomic<std::uint32_t> refs_{1};
};

/// A counted reference to a RemoteTarget.
using RemotePtr = RefPtr<RemoteTarget>;

}  // namespace troupe::detail
