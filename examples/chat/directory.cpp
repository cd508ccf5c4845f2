#include "chat/directory.hpp"

#include <troupe/actor/detail/loop_actor.hpp>

#include "chat/registry.hpp"
#include "chat/room.hpp"

namespace chat {

namespace {

// Address has no lookup of its own: a loop actor is registered and found
// as the LoopActor class behind it (a framework detail; see the README's
// notes).
using SessionActor = troupe::detail::LoopActor<v1::SessionEvent>;

std::string session_name(std::uint64_t session) {
  return "chat.session." + std::to_string(session);
}

}  // namespace

bool Directory::add_session(std::uint64_t session, const SessionAddress& address) const {
  return system_->register_name(session_name(session), address.ref());
}

SessionAddress Directory::session(std::uint64_t session) const {
  auto ref = system_->lookup<SessionActor>(session_name(session));
  if (!ref) return {};
  return SessionAddress(std::move(ref));
}

bool Directory::add_registry(const troupe::ActorRef<Registry>& registry) const {
  return system_->register_name("chat.registry", registry);
}

troupe::ActorRef<Registry> Directory::registry() const {
  return system_->lookup<Registry>("chat.registry");
}

bool Directory::add_room(const std::string& name, const troupe::ActorRef<Room>& room) const {
  return system_->register_name(name, room);
}

troupe::ActorRef<Room> Directory::room(std::string_view name) const {
  return system_->lookup<Room>(name);
}

}  // namespace chat
