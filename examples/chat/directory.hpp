#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/remote/remote_ref.hpp>

#include "chat.pb.h"
#include "chat/links.hpp"

namespace chat {

class Registry;
class Room;
class SessionHub;

/// Turns the names that travel in chat messages (a session id, a room's
/// directory name) back into actors, through the ActorSystem's name
/// registry: "chat.registry", "chat.session.<id>" and the room names the
/// registry makes up. A name is freed when its actor stops.
///
/// In a server split over two nodes it also knows the other node: on the
/// connections node the registry and the rooms are RemoteRefs, on the rooms
/// node the sessions are reached through the connections node's SessionHub;
/// the actors get Links and do not care which.
///
/// Borrows the system (and the node), which must outlive it. Thread-safe.
class Directory {
 public:
  explicit Directory(troupe::ActorSystem& system) noexcept : system_(&system) {}

  /// Names a session after its id; false if the name is taken.
  bool add_session(std::uint64_t session, const SessionAddress& address) const;
  /// The session, here or behind the other node's hub; empty if unknown.
  SessionLink session(std::uint64_t session) const;
  /// The session if it is on this node.
  SessionAddress local_session(std::uint64_t session) const;

  /// Names the server's one Registry (and publishes it on the rooms
  /// node); false if there is one already.
  bool add_registry(const troupe::ActorRef<Registry>& registry) const;
  /// The Registry, here or on the rooms node; empty once it has stopped.
  Link<Registry> registry() const;

  /// Names a room (and publishes it on the rooms node).
  bool add_room(const std::string& name, const troupe::ActorRef<Room>& room) const;
  /// The room called `name` (actor `id` on the rooms node when it is
  /// there); empty if it is gone.
  Link<Room> room(std::string_view name, troupe::ActorId id) const;

  // --- A split server ---------------------------------------------------------
  /// This is the rooms node: rooms and the registry are published on `node`.
  void serve_rooms_on(troupe::remote::Node& node);
  /// This is the connections node: the registry is `registry`, on `node`.
  void use_rooms_at(troupe::remote::Node& node, troupe::remote::RemoteRef<Registry> registry);
  /// On the rooms node: the sessions of node `node` are behind its hub.
  void attach_connections(const v1::ConnectionsAttached& m);

 private:
  troupe::ActorSystem* system_;
  mutable std::mutex mutex_;  // guards the split-server state below
  troupe::remote::Node* node_ = nullptr;
  troupe::remote::RemoteRef<Registry> remote_registry_;
  troupe::remote::RemoteRef<SessionHub> hub_;
};

}  // namespace chat
