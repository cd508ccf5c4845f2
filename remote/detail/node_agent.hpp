#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::remote::detail {

class NodeCore;
class Peer;

/// A peer monitors one of our published actors.
struct WatchRequest {
  ActorId actor;
  std::weak_ptr<Peer> peer;
};

/// The node's own actor: it monitors every published actor, and when one
/// stops, unpublishes it and sends Down to the peers that monitor it. Its
/// tables are its own state (no locks); the node tells it.
class NodeAgent : public Actor<NodeAgent> {
 public:
  explicit NodeAgent(std::weak_ptr<NodeCore> node) : node_(std::move(node)) {}

  void handle(const Down& d);
  Task<void> handle(const WatchRequest& w);

 private:
  std::weak_ptr<NodeCore> node_;
  std::unordered_map<ActorId, std::vector<std::weak_ptr<Peer>>> watchers_;
};

}  // namespace troupe::remote::detail
