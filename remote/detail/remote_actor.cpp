#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include <troupe/actor/actor_system.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/remote/detail/node_core.hpp>
#include <troupe/remote/detail/pending_ask.hpp>
#include <troupe/remote/detail/remote_actor.hpp>
#include <troupe/remote/detail/wire.hpp>
#include <troupe/v1/cluster.pb.h>

namespace troupe::remote::detail {

using troupe::detail::EnvelopeBase;

RemoteActor::RemoteActor(std::shared_ptr<Peer> peer, std::uint64_t incarnation, ActorId id)
    : RemoteTarget(peer->node().system().core().scheduler(), peer->name(), incarnation, id),
      peer_(std::move(peer)) {}

std::optional<v1::Envelope> RemoteActor::encode(EnvelopeBase& e, v1::Envelope::Kind kind) {
  std::string why =
      "it cannot cross to another node: a C++ type, or not in the actor class's "
      "`messages`, or its reply is not a protobuf message";
  if (const auto* m = e.wire_message()) {
    try {
      v1::Envelope out = proto::encode(*m, kind);
      out.mutable_target()->set_node(incarnation());
      out.mutable_target()->set_actor(id());
      // Only an ask's reply is addressed back to the sender's node; a tell
      // carries no sender (one object and a few bytes less per message).
      if (kind == v1::Envelope::ASK) out.mutable_sender()->set_node(peer_->local_incarnation());
      // The trace it was sent under: the sender's, current now.
      if (const TraceContext* t = troupe::detail::tls_trace) trace_to_wire(*t, out);
      return out;
    } catch (const std::exception& x) {
      why = x.what();
    }
  }
  peer_->node().system().core().dead_letter(
      DeadLetter{id(), e.type().name(), DeadLetterReason::kLocalOnly});
  e.refuse(
      AskError::kBadMessage,
      std::make_exception_ptr(std::invalid_argument("troupe: not sent to " + node() + ": " + why)));
  return std::nullopt;
}

TellStatus RemoteActor::tell(EnvelopeBase* e) noexcept {
  std::unique_ptr<EnvelopeBase> owned(e);
  auto out = encode(*owned, v1::Envelope::TELL);
  if (!out) return TellStatus::kLocalOnly;
  return peer_->tell(std::move(*out), incarnation());
}

std::unique_ptr<troupe::detail::WireSend> RemoteActor::send(EnvelopeBase* e,
                                                            TellStatus* status) noexcept {
  std::unique_ptr<EnvelopeBase> owned(e);
  auto out = encode(*owned, v1::Envelope::TELL);
  if (!out) {
    *status = TellStatus::kLocalOnly;
    return nullptr;
  }
  return peer_->send(std::move(*out), incarnation(), status);
}

std::unique_ptr<troupe::detail::AskSubmit> RemoteActor::ask(
    EnvelopeBase* e, std::optional<Duration> timeout) noexcept {
  std::unique_ptr<EnvelopeBase> owned(e);
  auto out = encode(*owned, v1::Envelope::ASK);
  if (!out) return nullptr;
  // The envelope waits with the peer for the reply: it holds the slot.
  return peer_->ask(std::move(*out), incarnation(), timeout,
                    std::make_unique<WireAsk>(std::move(owned)));
}

void RemoteActor::monitor(troupe::detail::ActorCellBase& watcher) noexcept {
  peer_->monitor(id(), incarnation(), watcher);
}

void RemoteActor::link(troupe::detail::ActorCellBase& linked) noexcept {
  peer_->monitor(id(), incarnation(), linked, Peer::Watch::kExit);
}

bool RemoteActor::reachable() const noexcept {
  return peer_->is_up() && peer_->incarnation() == incarnation();
}

void RemoteActor::stop() noexcept {
  v1::Stop request;
  request.set_actor(id());
  v1::Envelope e = proto::encode(request);
  e.mutable_target()->set_node(incarnation());
  e.mutable_sender()->set_node(peer_->local_incarnation());
  (void)peer_->tell(std::move(e), incarnation());  // a refusal is a dead letter
}

}  // namespace troupe::remote::detail
