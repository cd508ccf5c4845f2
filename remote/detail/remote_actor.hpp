#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/detail/remote_target.hpp>
#include <troupe/remote/detail/peer.hpp>
#include <troupe/v1/envelope.pb.h>

namespace troupe::remote::detail {

/// An actor on another node as an ActorRef reaches it: each operation
/// becomes an envelope in the peer's outbox, addressed to the actor's id
/// on the incarnation of the node the ref was made for. Made by the Node
/// (lookup, ref); shared by the ref's copies; thread-safe.
class RemoteActor final : public troupe::detail::RemoteTarget {
 public:
  RemoteActor(std::shared_ptr<Peer> peer, std::uint64_t incarnation, ActorId id);

  TellStatus tell(troupe::detail::EnvelopeBase* e) noexcept override;
  std::unique_ptr<troupe::detail::WireSend> send(troupe::detail::EnvelopeBase* e,
                                                 TellStatus* status) noexcept override;
  std::unique_ptr<troupe::detail::AskSubmit> ask(troupe::detail::EnvelopeBase* e,
                                                 std::optional<Duration> timeout) noexcept override;
  void monitor(troupe::detail::ActorCellBase& watcher) noexcept override;
  void link(troupe::detail::ActorCellBase& linked) noexcept override;
  void stop() noexcept override;
  bool reachable() const noexcept override;

 private:
  /// `e`'s message as an envelope to the actor, or nothing if it cannot
  /// cross: then `e` is a dead letter (kLocalOnly), an ask in it failed.
  std::optional<v1::Envelope> encode(troupe::detail::EnvelopeBase& e, v1::Envelope::Kind kind);

  std::shared_ptr<Peer> peer_;
};

}  // namespace troupe::remote::detail
