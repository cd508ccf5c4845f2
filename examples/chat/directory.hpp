#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/remote/node.hpp>

#include "chat.pb.h"

namespace troupe::cluster {
class Cluster;
}

namespace chat {

class Registry;
class Room;

/// A session actor's address (sessions are loop actors over their
/// mailbox), here or on the connections node of a split server: the same
/// handle either way.
using SessionAddress = troupe::Address<v1::SessionEvent>;

/// True if `session` lives on the node `origin` names (a message's trusted
/// origin), this incarnation of it; or, for an empty (local) origin, in
/// this process.
bool lives_on(const SessionAddress& session, const troupe::v1::Origin& origin) noexcept;

/// Turns the names that travel in chat messages (a session id, a room's
/// directory name) back into actors, through the ActorSystem's name
/// registry: "chat.registry", "chat.session.<id>" and the room names the
/// registry makes up. A name is freed when its actor stops.
///
/// In a server split over two nodes it also knows the other node: on the
/// connections node the registry and the rooms are remote refs, and the
/// sessions are published (so that the rooms node reaches them); on the
/// rooms node a session of the connections node is an Address made from
/// its id (Node::address_of). The actors hold the same handle types either
/// way. It also holds what each node believes of the other: on the rooms
/// node, which node (and incarnation) is the attached connections node,
/// the only one whose messages may speak for sessions (see
/// attach_connections); on the connections node, which is the rooms node.
///
/// Borrows the system (and the node), which must outlive it. Thread-safe.
class Directory {
 public:
  explicit Directory(troupe::ActorSystem& system) noexcept : system_(&system) {}

  /// Names a session after its id (and publishes it on a split server's
  /// node); false if the name is taken.
  bool add_session(std::uint64_t session, const SessionAddress& address) const;
  /// The session has ended: no longer among sessions_here().
  void remove_session(std::uint64_t session) const;
  /// The sessions of this process, live now (a connections node
  /// disconnects them all when it loses the rooms node).
  std::vector<SessionAddress> sessions_here() const;
  /// The session: here, or of the attached connections node; empty if
  /// unknown.
  SessionAddress session(std::uint64_t session) const;
  /// The session `session` of the node `origin` (a message's trusted
  /// origin): here for an empty one, else on that node if it is the
  /// attached connections node; empty otherwise.
  SessionAddress session_of(std::uint64_t session, const troupe::v1::Origin& origin) const;
  /// session_of in a cluster (any member's session), else session(id).
  SessionAddress session(std::uint64_t session, const troupe::v1::Origin& origin) const;

  /// Names the server's one Registry (and publishes it on the rooms
  /// node); false if there is one already.
  bool add_registry(const troupe::ActorRef<Registry>& registry) const;
  /// The Registry, here or on the rooms node; empty once it has stopped.
  troupe::ActorRef<Registry> registry() const;
  /// The Registry if it is on this node (for the rooms, always).
  troupe::ActorRef<Registry> local_registry() const;

  /// Names a room (and publishes it on the rooms node).
  bool add_room(const std::string& name, const troupe::ActorRef<Room>& room) const;
  /// The room called `name` (actor `id` on the rooms node when it is
  /// there); empty if it is gone.
  troupe::ActorRef<Room> room(std::string_view name, troupe::ActorId id) const;

  // --- A chat cluster ------------------------------------------------------------
  /// This node is a member of a chat cluster: sessions are published on
  /// `node`, and every other member of the cluster (each proved the
  /// cluster secret) speaks for the sessions that live on it.
  void serve_cluster_on(troupe::remote::Node& node, troupe::cluster::Cluster& cluster);
  bool in_cluster() const;
  /// The cluster this node is a member of, or null.
  troupe::cluster::Cluster* cluster() const;
  /// A chat cluster's channels are virtual actors of this kind, by folded name.
  static constexpr const char* kChannelKind = "channel";
  /// Where `session` lives, for a message to another node's room.
  v1::SessionRef ref_of(const SessionAddress& session) const;
  /// The session `ref` names: here, or on another member.
  SessionAddress session_at(const v1::SessionRef& ref) const;

  // --- A split server ---------------------------------------------------------
  /// This is the rooms node: rooms and the registry are published on `node`.
  void serve_rooms_on(troupe::remote::Node& node);
  /// This is the connections node: the registry is `registry`, on `node`.
  void use_rooms_at(troupe::remote::Node& node, troupe::ActorRef<Registry> registry);
  /// On the connections node: the rooms node is lost; registry() is empty
  /// until the next use_rooms_at (a session starting meanwhile ends).
  void lose_rooms();

  /// How attach_connections answered.
  enum class Attach {
    kAccepted,         // the sessions of m.node() may speak from now on
    kNotFromThatNode,  // it did not come from the node it names (or from no node)
    kTaken,            // another connections node is attached, and connected
    kNotRoomsNode,     // this is not the rooms node of a split server
  };
  /// On the rooms node: the sessions of node `m.node()` may speak for
  /// themselves, if `m` came from that node (its trusted `origin`: the name
  /// and incarnation it proved) and the place is free: no connections node
  /// attached yet, or it is the attached one itself (attaching again after
  /// its connection came back), or the attached one is no longer connected
  /// (it died, or its connection was lost), or `m` comes from a later
  /// incarnation of the same node name (it restarted: the framework
  /// connects one incarnation of a name at a time, so the earlier one's
  /// connection is gone). One
  /// connections node at a time; its sessions are the only remote ones.
  /// Until another attaches, a gone one is still believed for its
  /// sessions, should its connection come back.
  Attach attach_connections(const v1::ConnectionsAttached& m);
  /// True if `origin` (a message's trusted origin) is the attached
  /// connections node, this incarnation of it. False for a local one.
  bool from_connections(const troupe::v1::Origin& origin) const;
  /// On the connections node: true if `origin` is the rooms node in use;
  /// in a cluster, any other member.
  bool from_rooms(const troupe::v1::Origin& origin) const;

 private:
  troupe::ActorSystem* system_;
  mutable std::mutex mutex_;  // guards the split-server state below
  troupe::remote::Node* node_ = nullptr;
  troupe::ActorRef<Registry> remote_registry_;
  std::string connections_node_;  // the attached one; empty if none
  troupe::cluster::Cluster* cluster_ = nullptr;
  std::uint64_t connections_incarnation_ = 0;
  mutable std::map<std::uint64_t, SessionAddress> here_;  // sessions of this process
};

/// "node NAME (incarnation N)", or "this process" for a local origin: for
/// the line that logs a refusal.
std::string describe(const troupe::v1::Origin& origin);

}  // namespace chat
