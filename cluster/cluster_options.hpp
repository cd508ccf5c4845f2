#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include <troupe/cluster/detail/etcd_options.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe::cluster {

/// How to reach etcd: endpoints, TLS files, user and password (see
/// detail/etcd_options.hpp for each field).
using EtcdOptions = detail::EtcdOptions;
using EtcdTlsOptions = detail::EtcdTlsOptions;

/// How a Cluster is set up. A plain value; every field but `etcd.endpoints`
/// has a default, so designated initializers name only what they change.
struct ClusterOptions {
  /// The cluster's name: nodes that give the same name (and etcd) form one
  /// cluster. Every key it writes lives under "/troupe/<name>/".
  std::string name = "troupe";
  EtcdOptions etcd{};
  /// The TTL of the node's lease. A node that dies is seen gone by the
  /// others (Down with kNodeDown, its virtual actors placed again) about
  /// this long after; a node cut off from etcd stops its virtual actors a
  /// little before it, so that none runs twice. etcd's minimum may raise it.
  std::chrono::seconds lease_ttl{5};
  /// A virtual actor that gets no message for this long is stopped (its
  /// on_stop runs); the next message activates it again. Zero: never.
  Duration passivate_after = std::chrono::minutes(5);
  /// How long a message to a virtual actor may wait for its activation
  /// (placement, a failover) before it is a dead letter and an ask fails.
  Duration activation_timeout = std::chrono::seconds(15);
  /// Actors per node that activate virtual actors (identities are spread
  /// over them, each activates one at a time).
  std::size_t activators = 8;
  /// Backoff between tries to reach etcd, and to place a virtual actor.
  Duration retry_min = std::chrono::milliseconds(50);
  Duration retry_max = std::chrono::seconds(2);
  /// Where the cluster reports joins, losses and refusals, one line each
  /// (called on runtime threads). Default: the framework's log
  /// (troupe::log, component "cluster <name> (<node>)").
  std::function<void(const std::string&)> log{};
};

}  // namespace troupe::cluster
