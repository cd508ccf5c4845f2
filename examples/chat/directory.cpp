#include "chat/directory.hpp"

#include <cstdio>

#include "chat/context.hpp"
#include "chat/irc_message.hpp"
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

troupe::ActorRef<Registry> Directory::local_registry() const {
  return system_->lookup<Registry>(kRegistryName);
}

troupe::ActorRef<Registry> Directory::registry() const {
  if (auto local = system_->lookup<Registry>(kRegistryName)) return local;
  std::lock_guard lock(mutex_);
  return remote_registry_ ? troupe::ActorRef<Registry>(remote_registry_)
                          : troupe::ActorRef<Registry>();
}

bool Directory::add_room(const std::string& name, const troupe::ActorRef<Room>& room) const {
  if (!system_->register_name(name, room)) return false;
  std::lock_guard lock(mutex_);
  if (node_) node_->publish(name, room);
  return true;
}

troupe::ActorRef<Room> Directory::room(std::string_view name, troupe::ActorId id) const {
  if (auto local = system_->lookup<Room>(name)) return local;
  std::lock_guard lock(mutex_);
  if (!remote_registry_ || id == 0) return {};
  return node_->ref<Room>(remote_registry_.node(), remote_registry_.incarnation(), id);
}

void Directory::serve_rooms_on(troupe::remote::Node& node) {
  std::lock_guard lock(mutex_);
  node_ = &node;
}

void Directory::use_rooms_at(troupe::remote::Node& node, troupe::ActorRef<Registry> registry) {
  std::lock_guard lock(mutex_);
  node_ = &node;
  remote_registry_ = std::move(registry);
}

Directory::Attach Directory::attach_connections(const v1::ConnectionsAttached& m) {
  std::lock_guard lock(mutex_);
  if (!node_ || remote_registry_) return Attach::kNotRoomsNode;
  // Only the node itself may say where its sessions are: its origin is the
  // name and incarnation it proved, whatever it wrote in the message. A
  // local origin (empty) names no node: refused too.
  const troupe::v1::Origin& origin = m.origin();
  if (origin.node().empty() || origin.node() != m.node() ||
      origin.incarnation() != m.incarnation() || m.hub() == 0) {
    return Attach::kNotFromThatNode;
  }
  if (hub_ && !hub_gone_) {
    const bool restarted = hub_.node() == m.node() && hub_.incarnation() != m.incarnation();
    if (!restarted) return Attach::kTaken;
  }
  hub_ = node_->ref<SessionHub>(m.node(), m.incarnation(), m.hub());
  hub_gone_ = false;
  return Attach::kAccepted;
}

void Directory::connections_down(std::uint64_t incarnation) {
  std::lock_guard lock(mutex_);
  if (hub_ && hub_.incarnation() == incarnation) hub_gone_ = true;
}

troupe::ActorRef<SessionHub> Directory::connections_hub() const {
  std::lock_guard lock(mutex_);
  return hub_;
}

bool Directory::from_connections(const troupe::v1::Origin& origin) const {
  if (origin.node().empty()) return false;
  std::lock_guard lock(mutex_);
  return hub_ && hub_.node() == origin.node() && hub_.incarnation() == origin.incarnation();
}

SessionLink Directory::remote_session(std::uint64_t session,
                                      const troupe::v1::Origin& origin) const {
  if (!from_connections(origin)) return {};
  std::lock_guard lock(mutex_);
  return SessionLink(hub_, session);
}

bool Directory::from_rooms(const troupe::v1::Origin& origin) const {
  if (origin.node().empty()) return false;
  std::lock_guard lock(mutex_);
  return remote_registry_ && remote_registry_.node() == origin.node() &&
         remote_registry_.incarnation() == origin.incarnation();
}

bool SessionLink::lives_on(const troupe::v1::Origin& origin) const noexcept {
  if (origin.node().empty()) return static_cast<bool>(local_);
  return hub_ && hub_.node() == origin.node() && hub_.incarnation() == origin.incarnation();
}

void Refusals::refuse(std::string_view kind, const std::string& why) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(kind);
    if (it == counts_.end()) it = counts_.emplace(std::string(kind), 0).first;
    first = it->second++ == 0;
  }
  if (!first) return;
  const std::string line = "troupe-chat: refused " + std::string(kind) + ": " + why +
                           " (further refusals of this kind are counted, not logged)";
  if (log_) {
    log_(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

std::uint64_t Refusals::count(std::string_view kind) const {
  std::lock_guard lock(mutex_);
  if (!kind.empty()) {
    auto it = counts_.find(kind);
    return it == counts_.end() ? 0 : it->second;
  }
  std::uint64_t all = 0;
  for (const auto& [k, n] : counts_) all += n;
  return all;
}

std::string describe(const troupe::v1::Origin& origin) {
  if (origin.node().empty()) return "this process";
  return "node " + irc::printable(origin.node(), 64) + " (incarnation " +
         std::to_string(origin.incarnation()) + ")";
}

}  // namespace chat
