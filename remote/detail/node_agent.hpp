#pragma once

#include <memory>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/system_messages.hpp>

namespace troupe::remote::detail {

class NodeCore;

/// The node's own actor: it monitors every published actor, and when one
/// stops, unpublishes it and sends Down to the peers that monitor it.
class NodeAgent : public Actor<NodeAgent> {
 public:
  explicit NodeAgent(std::weak_ptr<NodeCore> node) : node_(std::move(node)) {}

  void handle(const Down& d);

 private:
  std::weak_ptr<NodeCore> node_;
};

}  // namespace troupe::remote::detail
