#include "chat/directory.hpp"

#include "chat/registry.hpp"
#include "chat/room.hpp"
#include "chat/session_hub.hpp"

namespace chat {

namespace {

std::string session_name(std::uint64_t session) {
  return "chat.session." + std::to_string(session);
}

constexpr const char* kRegistryName = "chat.registry";

}  // namespace

bool Directory::add_session(std::uint64_t session, const SessionAddress& address) const {
  return system_->register_name(session_name(session), address);
}

SessionAddress Directory::local_session(std::uint64_t session) const {
  return system_->lookup_address<v1::SessionEvent>(session_name(session));
}

SessionLink Directory::session(std::uint64_t session) const {
  if (SessionAddress a = local_session(session)) return SessionLink(std::move(a));
  std::lock_guard lock(mutex_);
  if (hub_) return SessionLink(hub_, session);
  return {};
}

bool Directory::add_registry(const troupe::ActorRef<Registry>& registry) const {
  if (!system_->register_name(kRegistryName, registry)) return false;
  std::lock_guard lock(mutex_);
  if (node_) node_->publish(kRegistryName, registry);
  return true;
}

Link<Registry> Directory::registry() const {
  if (auto local = system_->lookup<Registry>(kRegistryName)) return local;
  std::lock_guard lock(mutex_);
  return remote_registry_ ? Link<Registry>(remote_registry_) : Link<Registry>();
}

bool Directory::add_room(const std::string& name, const troupe::ActorRef<Room>& room) const {
  if (!system_->register_name(name, room)) return false;
  std::lock_guard lock(mutex_);
  if (node_) node_->publish(name, room);
  return true;
}

Link<Room> Directory::room(std::string_view name, troupe::ActorId id) const {
  if (auto local = system_->lookup<Room>(name)) return local;
  std::lock_guard lock(mutex_);
  if (!remote_registry_ || id == 0) return {};
  return node_->ref<Room>(remote_registry_.node(), remote_registry_.incarnation(), id);
}

void Directory::serve_rooms_on(troupe::remote::Node& node) {
  std::lock_guard lock(mutex_);
  node_ = &node;
}

void Directory::use_rooms_at(troupe::remote::Node& node,
                             troupe::remote::RemoteRef<Registry> registry) {
  std::lock_guard lock(mutex_);
  node_ = &node;
  remote_registry_ = std::move(registry);
}

void Directory::attach_connections(const v1::ConnectionsAttached& m) {
  std::lock_guard lock(mutex_);
  if (node_) hub_ = node_->ref<SessionHub>(m.node(), m.incarnation(), m.hub());
}

}  // namespace chat
