#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/ask_future.hpp>
#include <troupe/actor/detail/handler_traits.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/detail/peer.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::remote {

namespace detail {
template <class List, class M>
struct Lists : std::false_type {};
template <class... Ts, class M>
struct Lists<proto::Messages<Ts...>, M> : std::bool_constant<(std::is_same_v<Ts, M> || ...)> {};
}  // namespace detail

/// A typed handle to an actor of class A on another node, got from
/// Node::lookup: the same tell, send and ask as ActorRef, carried as
/// envelopes over the node's stream to that node.
///
/// Only protobuf messages cross nodes, and only those A lists in its
/// `messages`: anything else does not compile. Replies must be protobuf
/// messages (or void).
///
/// Bound to one incarnation of the node: once that node restarts, the ref
/// is stale for good (tells are dead letters, kDeadActor; asks fail with
/// kDeadActor) and never reaches the new process's actors. While the node
/// is not connected, tells are dead letters (kUnreachable) and asks fail
/// at once with AskError::kUnreachable. Per-sender order holds across the
/// wire. A counted handle (copies share the peer); thread-safe. Like an
/// ActorRef, it must not be used once its Node is destroyed (dropping it
/// then is fine).
template <class A>
class RemoteRef {
 public:
  RemoteRef() noexcept = default;
  RemoteRef(std::shared_ptr<detail::Peer> peer, std::uint64_t incarnation, ActorId id) noexcept
      : peer_(std::move(peer)), incarnation_(incarnation), id_(id) {}

  /// The actor's id on its node.
  ActorId id() const noexcept { return id_; }
  /// The name of its node.
  const std::string& node() const noexcept { return peer_->name(); }
  /// The incarnation of its node this ref is bound to.
  std::uint64_t incarnation() const noexcept { return incarnation_; }
  explicit operator bool() const noexcept { return peer_ != nullptr; }
  friend bool operator==(const RemoteRef& a, const RemoteRef& b) noexcept {
    return a.peer_ == b.peer_ && a.incarnation_ == b.incarnation_ && a.id_ == b.id_;
  }

  /// Queues `m` for the actor. Never waits: a full outbox to that node
  /// refuses it (kFull); every refusal is a dead letter.
  template <class M>
  TellStatus tell(const M& m) const {
    check<M>();
    return peer_->tell(envelope(m, v1::Envelope::TELL), incarnation_);
  }

  /// `co_await send(m)`: tell, waiting for room in a full outbox.
  template <class M>
  Task<TellStatus> send(const M& m) const {
    check<M>();
    return peer_->send(envelope(m, v1::Envelope::TELL), incarnation_);
  }

  /// `co_await ask(m[, timeout])`: the handler's reply, decoded, as an
  /// AskResult; the deadline travels with the message, so the other node
  /// drops it (and answers kTimeout) if it arrives too late.
  template <class M>
  auto ask(const M& m) const {
    return ask_impl(m, std::nullopt);
  }
  template <class M>
  auto ask(const M& m, Duration timeout) const {
    return ask_impl(m, timeout);
  }

  /// `watcher` gets troupe::Down (with `node` = this ref's incarnation)
  /// when the remote actor stops, or with ExitReason::kNodeDown when the
  /// connection to its node is lost.
  template <class W>
  void monitor(const ActorRef<W>& watcher) const {
    peer_->monitor(id_, incarnation_, *watcher.cell());
  }

 private:
  template <class M>
  static constexpr void check() {
    static_assert(proto::Message<M>,
                  "only protobuf messages can be sent to a remote actor (generate the type from a "
                  ".proto file)");
    static_assert(troupe::detail::Handles<A, M>, "this actor has no handler for this message type");
    static_assert(
        detail::Lists<typename A::messages, M>::value,
        "list this message type in the actor's `messages` so that its node can decode it");
  }

  template <class M>
  auto ask_impl(const M& m, std::optional<Duration> timeout) const {
    check<M>();
    using R = troupe::detail::ReplyOf<A, M>;
    static_assert(std::is_void_v<R> || proto::Message<R>,
                  "a remote ask's reply must be a protobuf message (or void)");
    return peer_->template ask<R>(envelope(m, v1::Envelope::ASK), incarnation_, timeout);
  }

  v1::Envelope envelope(const google::protobuf::MessageLite& m, v1::Envelope::Kind kind) const {
    v1::Envelope e = proto::encode(m, kind);
    e.mutable_target()->set_node(incarnation_);
    e.mutable_target()->set_actor(id_);
    e.mutable_sender()->set_node(peer_->local_incarnation());
    return e;
  }

  std::shared_ptr<detail::Peer> peer_;
  std::uint64_t incarnation_ = 0;
  ActorId id_ = 0;
};

}  // namespace troupe::remote
