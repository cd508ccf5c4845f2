#include "chat/directory.hpp"

#include "chat/registry.hpp"
#include "chat/room.hpp"

namespace chat {

namespace {

std::string session_name(std::uint64_t session) {
  return "chat.session." + std::to_string(session);
}

}  // namespace

bool Directory::add_session(std::uint64_t session, const SessionAddress& address) const {
  return system_->register_name(session_name(session), address);
}

SessionAddress Directory::session(std::uint64_t session) const {
  return system_->lookup_address<v1::SessionEvent>(session_name(session));
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
