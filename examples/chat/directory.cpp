#include "chat/directory.hpp"

#include <cstdio>

#include <troupe/cluster/cluster.hpp>
#include <troupe/runtime/log.hpp>

#include "chat/context.hpp"
#include "chat/irc_message.hpp"
#include "chat/registry.hpp"
#include "chat/room.hpp"

namespace chat {

namespace {

std::string session_name(std::uint64_t session) {
  return "chat.session." + std::to_string(session);
}

constexpr const char* kRegistryName = "chat.registry";

}  // namespace

bool Directory::add_session(std::uint64_t session, const SessionAddress& address) const {
  std::lock_guard lock(mutex_);
  here_[session] = address;
  // Only published actors can be reached from the other node.
  if (node_) return node_->publish(session_name(session), address);
  return system_->register_name(session_name(session), address);
}

void Directory::remove_session(std::uint64_t session) const {
  std::lock_guard lock(mutex_);
  here_.erase(session);
}

std::vector<SessionAddress> Directory::sessions_here() const {
  std::lock_guard lock(mutex_);
  std::vector<SessionAddress> all;
  all.reserve(here_.size());
  for (const auto& [id, address] : here_) all.push_back(address);
  return all;
}

SessionAddress Directory::session(std::uint64_t session) const {
  if (auto local = system_->lookup_address<v1::SessionEvent>(session_name(session))) return local;
  std::lock_guard lock(mutex_);
  if (connections_node_.empty()) return {};
  return node_->address_of<v1::SessionEvent>(connections_node_, connections_incarnation_, session);
}

SessionAddress Directory::session_of(std::uint64_t session,
                                     const troupe::v1::Origin& origin) const {
  if (origin.node().empty()) {
    return system_->lookup_address<v1::SessionEvent>(session_name(session));
  }
  if (!from_connections(origin)) return {};
  std::lock_guard lock(mutex_);
  return node_->address_of<v1::SessionEvent>(origin.node(), origin.incarnation(), session);
}

SessionAddress Directory::session(std::uint64_t session, const troupe::v1::Origin& origin) const {
  // A cluster: any member's session; otherwise as session(id).
  if (!origin.node().empty() && in_cluster()) return session_of(session, origin);
  return this->session(session);
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
  if (auto* c = cluster(); c && name.starts_with(Room::kClusterNamePrefix)) {
    // The channel, wherever it is activated now (and after a failover).
    return c->get<Room>(kChannelKind, std::string(name.substr(Room::kClusterNamePrefix.size())));
  }
  if (auto local = system_->lookup<Room>(name)) return local;
  std::lock_guard lock(mutex_);
  if (!remote_registry_ || id == 0) return {};
  return node_->ref<Room>(remote_registry_.node(), remote_registry_.incarnation(), id);
}

void Directory::serve_cluster_on(troupe::remote::Node& node, troupe::cluster::Cluster& cluster) {
  std::lock_guard lock(mutex_);
  node_ = &node;
  cluster_ = &cluster;
}

bool Directory::in_cluster() const { return cluster() != nullptr; }

troupe::cluster::Cluster* Directory::cluster() const {
  std::lock_guard lock(mutex_);
  return cluster_;
}

v1::SessionRef Directory::ref_of(const SessionAddress& session) const {
  v1::SessionRef ref;
  ref.set_session(session.id());
  std::lock_guard lock(mutex_);
  if (session.is_remote()) {
    ref.set_node(std::string(session.node()));
    ref.set_incarnation(session.incarnation());
  } else if (node_) {
    ref.set_node(node_->name());
    ref.set_incarnation(node_->incarnation());
  }
  return ref;
}

SessionAddress Directory::session_at(const v1::SessionRef& ref) const {
  std::lock_guard lock(mutex_);
  if (ref.node().empty() || !node_) {
    return system_->lookup_address<v1::SessionEvent>(session_name(ref.session()));
  }
  // This node's own sessions come back as local addresses.
  return node_->address_of<v1::SessionEvent>(ref.node(), ref.incarnation(), ref.session());
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

void Directory::lose_rooms() {
  std::lock_guard lock(mutex_);
  remote_registry_ = {};
}

Directory::Attach Directory::attach_connections(const v1::ConnectionsAttached& m) {
  std::lock_guard lock(mutex_);
  if (!node_ || remote_registry_) return Attach::kNotRoomsNode;
  // Only the node itself may say where its sessions are: its origin is the
  // name and incarnation it proved, whatever it wrote in the message. A
  // local origin (empty) names no node: refused too.
  const troupe::v1::Origin& origin = m.origin();
  if (origin.node().empty() || origin.node() != m.node() ||
      origin.incarnation() != m.incarnation()) {
    return Attach::kNotFromThatNode;
  }
  // The attached one again, after its connection came back: still it.
  if (connections_node_ == m.node() && connections_incarnation_ == m.incarnation())
    return Attach::kAccepted;
  if (!connections_node_.empty()) {
    const bool restarted =
        connections_node_ == m.node() && connections_incarnation_ != m.incarnation();
    bool connected = false;
    for (const std::string& peer : node_->peers()) connected |= peer == connections_node_;
    if (connected && !restarted) return Attach::kTaken;
  }
  connections_node_ = m.node();
  connections_incarnation_ = m.incarnation();
  return Attach::kAccepted;
}

bool Directory::from_connections(const troupe::v1::Origin& origin) const {
  if (origin.node().empty()) return false;
  std::lock_guard lock(mutex_);
  // In a cluster every member proved the secret, and speaks for its own sessions.
  if (cluster_ != nullptr) return true;
  return connections_node_ == origin.node() && connections_incarnation_ == origin.incarnation();
}

bool Directory::from_rooms(const troupe::v1::Origin& origin) const {
  if (origin.node().empty()) return false;
  std::lock_guard lock(mutex_);
  // In a cluster, rooms live on every member.
  if (cluster_ != nullptr) return true;
  return remote_registry_ && remote_registry_.node() == origin.node() &&
         remote_registry_.incarnation() == origin.incarnation();
}

bool lives_on(const SessionAddress& session, const troupe::v1::Origin& origin) noexcept {
  if (!session) return false;
  return session.node() == origin.node() && session.incarnation() == origin.incarnation();
}

void Refusals::refuse(std::string_view kind, const std::string& why) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(kind);
    if (it == counts_.end()) it = counts_.emplace(std::string(kind), 0).first;
    first = it->second++ == 0;
  }
  counted_.notify_all();
  if (!first) return;
  const std::string line = "refused " + std::string(kind) + ": " + why +
                           " (further refusals of this kind are counted, not logged)";
  if (log_) {
    log_(line);
  } else {
    troupe::log(troupe::LogLevel::kWarning, "chat", line);
  }
}

std::uint64_t Refusals::count(std::string_view kind) const {
  std::lock_guard lock(mutex_);
  return count_locked(kind);
}

bool Refusals::wait_for(std::string_view kind, std::uint64_t n,
                        std::chrono::milliseconds limit) const {
  std::unique_lock lock(mutex_);
  return counted_.wait_for(lock, limit, [&] { return count_locked(kind) >= n; });
}

std::uint64_t Refusals::count_locked(std::string_view kind) const {
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
