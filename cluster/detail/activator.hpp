#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/detail/actor_handle.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/v1/membership.pb.h>

namespace troupe::cluster::detail {

class ClusterCore;

/// Tells an activator to stop its activations now: the node's lease is
/// lost, and another node may take them over once it expires.
struct StopHosting {};

/// An activation stopped: its record (as it claimed it) is to be erased.
struct EraseActivation {
  std::string key;
  std::int64_t mod_revision = 0;
};

/// Activates virtual actors on this node, one shard of the identities:
/// for each it is asked about, it finds the one activation (its own, or
/// the node whose record in etcd holds it), or makes it, claiming the
/// activation record (create-if-absent under this node's lease) before
/// the actor is spawned. It monitors its activations and erases their
/// records when they stop (passivation, failure).
///
/// Published on the node (the member record lists the ids), asked by the
/// virtual actors of every node. One message at a time: an identity is
/// never activated twice here, and etcd settles races between nodes.
class Activator : public Actor<Activator> {
 public:
  using messages = proto::Messages<v1::Activate>;

  explicit Activator(std::shared_ptr<ClusterCore> core) : core_(std::move(core)) {}

  Task<v1::ActivateReply> handle(const v1::Activate& request);
  void handle(const Down& down);
  Task<void> handle(const EraseActivation& erase);
  void handle(const StopHosting&);

 private:
  struct Active {
    troupe::detail::ActorHandle handle;
    std::int64_t mod_revision = 0;  // of its activation record
  };
  v1::ActivateReply active(const Active& a) const;

  std::shared_ptr<ClusterCore> core_;
  std::unordered_map<std::string, Active> by_key_;  // activation key -> activation
  std::unordered_map<ActorId, std::string> key_of_;
};

}  // namespace troupe::cluster::detail
