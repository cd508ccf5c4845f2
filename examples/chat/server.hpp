#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/cluster/cluster.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/socket_address.hpp>
#include <troupe/runtime/task.hpp>

#include "chat.pb.h"
#include "chat/client_link.hpp"
#include "chat/context.hpp"

namespace chat {

class Registry;
class RoomsLink;

/// An IRC server made of actors, on an ActorSystem it borrows: the
/// Registry, an acceptor (a loop actor over the listening socket), and one
/// Session per connection, which spawns Rooms through the Registry.
///
/// start() once, stop() when done (the destructor stops it too, without
/// waiting); the system must outlive the server, and carries one server
/// only (its Registry is found by name). Not thread-safe: one thread
/// starts and stops it; the actors run on the system's workers.
class ChatServer {
 public:
  ChatServer(troupe::ActorSystem& system, ServerOptions options);
  ChatServer(const ChatServer&) = delete;
  ChatServer& operator=(const ChatServer&) = delete;
  ~ChatServer();

  /// Binds options.host:options.port and starts accepting clients: the
  /// address bound (with the port chosen if options.port is 0), or why not.
  troupe::IoResult<troupe::SocketAddress> start();

  // --- Split over two nodes: connections on one, the registry and rooms on
  // the other. Everything they say is protobuf already; only the way they
  // find each other changes (see Directory).

  /// The rooms side: runs the Registry (and the rooms it makes) and
  /// publishes them on `node` for a connections node. Accepts no clients.
  void serve_rooms(troupe::remote::Node& node);
  /// The connections side, before start(): finds the Registry of the rooms
  /// node at `address` and attaches this node to it (its sessions are
  /// published here for the rooms node). False if the rooms node did not
  /// answer within `timeout`.
  bool use_rooms_at(troupe::remote::Node& node, const std::string& address,
                    troupe::Duration timeout);
  /// The same as a Task: for a driven system (a simulation), whose thread
  /// must not block, or from inside the runtime.
  troupe::Task<bool> attach_to_rooms(troupe::remote::Node& node, std::string address,
                                     troupe::Duration timeout);

  // --- A cluster of nodes on etcd: every node accepts clients; channels are
  // virtual actors placed across the nodes, nicks are unique cluster-wide.

  /// Before start() and before `cluster` starts: this server is one node
  /// of a chat cluster (it hosts the channel kind).
  void join_cluster(troupe::remote::Node& node, troupe::cluster::Cluster& cluster);

  /// Serves one client on `link` (a connection that came some other way
  /// than start()'s socket: an in-memory link in a test or a simulation):
  /// a Session as for an accepted socket, counted against the per-address
  /// limit under `host`. False if over that limit (the client gets the
  /// ERROR line and the link is closed). After start() or serve_rooms's
  /// counterpart use_rooms_at/attach_to_rooms: the registry must be known.
  troupe::Task<bool> serve(std::shared_ptr<ClientLink> link, std::string host);

  /// Stops accepting, sends every client an ERROR line, and waits up to
  /// `grace` for their sessions to end (not on a driven system, whose
  /// thread must not block: there they end as it is driven). Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(2));

  /// Connections open right now.
  std::size_t live_sessions() const { return ctx_->sessions.live(); }
  /// Waits up to `limit` until no connection is open; true if none is.
  bool wait_no_sessions(std::chrono::milliseconds limit) const {
    return ctx_->sessions.wait_for_none(limit);
  }

  /// Messages from another node refused so far (split server), of one
  /// kind (a message type: "Post", "ConnectionsAttached", ...) or, empty,
  /// of every kind. See Refusals.
  std::uint64_t refused(std::string_view kind = {}) const { return ctx_->refusals.count(kind); }
  /// Waits up to `limit` until `refused(kind)` reaches `n`; true if it did.
  bool wait_refused(std::string_view kind, std::uint64_t n, std::chrono::milliseconds limit) const {
    return ctx_->refusals.wait_for(kind, n, limit);
  }

 private:
  troupe::ActorSystem& system_;
  std::shared_ptr<ServerContext> ctx_;
  troupe::ActorRef<Registry> registry_;
  troupe::Address<v1::StopAccepting> acceptor_;
  troupe::ActorRef<RoomsLink> rooms_link_;  // the connections node's watch on the rooms node
  bool serving_ = false;
  bool stopped_ = false;
};

}  // namespace chat
