#pragma once

#include <memory>

#include <troupe/actor/actor.hpp>
#include <troupe/proto/messages.hpp>

#include "chat.pb.h"
#include "chat/context.hpp"

namespace chat {

/// On the connections node of a split server: the one actor the rooms
/// node talks to for every session here. It hands each Routed event to
/// the sessions it names (a room's line crosses the wire once, then fans
/// out here). Published on that node; stateless. It takes Routed only from
/// the rooms node this node uses (the message's trusted origin): another
/// node that reaches it cannot write to the clients here.
class SessionHub : public troupe::Actor<SessionHub> {
 public:
  using messages = troupe::proto::Messages<v1::Routed>;

  explicit SessionHub(std::shared_ptr<ServerContext> ctx) : ctx_(std::move(ctx)) {}

  void handle(const v1::Routed& m);

 private:
  std::shared_ptr<ServerContext> ctx_;
};

}  // namespace chat
