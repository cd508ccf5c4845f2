#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace troupe::cluster {

/// A live node of the cluster, as its record in etcd says. A plain value.
struct Member {
  /// Its node name: the address the other nodes dial.
  std::string node{};
  /// Its run (remote::Node::incarnation): a restarted node is a new member.
  std::uint64_t incarnation = 0;
  /// The virtual actor kinds it hosts (Cluster::host).
  std::vector<std::string> kinds{};

  bool operator==(const Member&) const = default;
};

/// A change of membership, as Cluster::events() reports it. A plain value.
struct MemberEvent {
  enum class Kind {
    kUp,    // joined (or this node saw it first)
    kDown,  // left, or its lease expired: gone
  };
  Kind kind = Kind::kUp;
  Member member{};
};

}  // namespace troupe::cluster
