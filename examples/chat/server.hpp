#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/socket_address.hpp>

#include "chat.pb.h"
#include "chat/context.hpp"

namespace chat {

class Registry;

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

  /// Stops accepting, sends every client an ERROR line, and waits up to
  /// `grace` for their sessions to end. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(2));

  /// Connections open right now.
  std::size_t live_sessions() const { return ctx_->sessions.live(); }

 private:
  troupe::ActorSystem& system_;
  std::shared_ptr<ServerContext> ctx_;
  troupe::ActorRef<Registry> registry_;
  troupe::Address<v1::StopAccepting> acceptor_;
  bool stopped_ = false;
};

}  // namespace chat
