#pragma once

#include <memory>
#include <string>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>

#include "chat/context.hpp"

namespace chat {

class Registry;

/// Finds the Registry of the rooms node at `address` and attaches this
/// connections node to it (the directory uses it from then on; the
/// registry hears ConnectionsAttached ahead of every session's messages).
/// Empty if the rooms node did not answer within `timeout`.
troupe::Task<troupe::ActorRef<Registry>> attach_rooms(ServerContext& ctx,
                                                      troupe::remote::Node& node,
                                                      std::string address,
                                                      troupe::Duration timeout);

/// The connections node's hold on the rooms node of a split server. It
/// watches the Registry there; when that node is lost (its connection
/// ended, or it crashed or restarted), the rooms node has forgotten this
/// node's sessions and their memberships, so a session here would talk
/// into the void: it disconnects every client of this node (they see an
/// ERROR line and can reconnect), then attaches again, retrying until the
/// rooms node answers. Sessions that start meanwhile end at once.
///
/// Spawned by ChatServer::attach_to_rooms; borrows the node, which must
/// outlive the actor system's actors (as the server's do). Like every
/// actor, one handler at a time.
class RoomsLink : public troupe::Actor<RoomsLink> {
 public:
  RoomsLink(std::shared_ptr<ServerContext> ctx, troupe::remote::Node* node, std::string address,
            troupe::Duration timeout);

  /// Attach again (told to itself once the rooms node is lost).
  struct Reattach {};

  void on_start();
  void handle(const troupe::Down& m);
  troupe::Task<void> handle(Reattach);

 private:
  void watch(const troupe::ActorRef<Registry>& registry);

  std::shared_ptr<ServerContext> ctx_;
  troupe::remote::Node* node_;
  std::string address_;
  troupe::Duration timeout_;
  // The registry in use: its node's incarnation and its id (a restarted
  // rooms node may give its new registry the same id).
  std::uint64_t watched_node_ = 0;
  troupe::ActorId watched_ = 0;
};

}  // namespace chat
