#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/address.hpp>

#include "chat.pb.h"

namespace chat {

class Registry;
class Room;

/// A session actor's address (sessions are loop actors over their mailbox).
using SessionAddress = troupe::Address<v1::SessionEvent>;

/// Turns the names that travel in chat messages (a session id, a room's
/// directory name) back into addresses, through the ActorSystem's name
/// registry: "chat.registry", "chat.session.<id>" and the room names the
/// registry makes up. A name is freed when its actor stops.
///
/// Borrows the system, which must outlive it. Thread-safe (the system's
/// registry is).
class Directory {
 public:
  explicit Directory(troupe::ActorSystem& system) noexcept : system_(&system) {}

  /// Names a session after its id; false if the name is taken.
  bool add_session(std::uint64_t session, const SessionAddress& address) const;
  /// The session's address, or an empty one if it is gone.
  SessionAddress session(std::uint64_t session) const;

  /// Names the server's one Registry; false if there is one already.
  bool add_registry(const troupe::ActorRef<Registry>& registry) const;
  /// The Registry's ref, or an empty one once it has stopped.
  troupe::ActorRef<Registry> registry() const;

  bool add_room(const std::string& name, const troupe::ActorRef<Room>& room) const;
  /// The room's ref, or an empty one if it is gone.
  troupe::ActorRef<Room> room(std::string_view name) const;

 private:
  troupe::ActorSystem* system_;
};

}  // namespace chat
