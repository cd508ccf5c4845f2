#pragma once

#include <vector>

#include "params.hpp"
#include "result_line.hpp"

// The cluster cases (three nodes on loopback sharing one etcd; bench/README.md
// and the spec define them). Like the remote cases they live in their own
// executable, troupe-bench-cluster, which links the cluster module (gRPC,
// the etcd client): troupe-bench checks their keys, then replaces itself
// (execv) with troupe-bench-cluster, so that the RESULT line, the exit
// status and the peak RSS (node 1's) are that binary's.
namespace troupe::bench {

/// The keys of the cluster cases and their defaults (the spec's), for both
/// tables. `timeout` is in milliseconds; `tuned` picks the failure
/// detection of cluster_failover (0: the Cluster defaults, lease TTL 5 s;
/// 1: lease TTL 2 s).
inline std::vector<KeySpec> cluster_activate_keys() {
  return {{"n", 30'000}, {"inflight", 1000, 1, 1'000'000}, workers_key()};
}
inline std::vector<KeySpec> cluster_tell_keys() {
  return {{"n", 1'000'000},
          {"actors", 10'000, 1, 10'000'000},
          {"producers", 4, 1, 4096},
          workers_key()};
}
inline std::vector<KeySpec> cluster_failover_keys() {
  return {{"n", 1, 1, 1},
          {"actors", 300, 1, 100'000},
          {"timeout", 1000, 1, 60'000},
          {"tuned", 0, 0, 1},
          workers_key()};
}

/// In troupe-bench: execv troupe-bench-cluster (next to it) with the case
/// and its resolved keys. Return only by throwing.
Outcome exec_cluster_activate(const Params& p);
Outcome exec_cluster_tell(const Params& p);
Outcome exec_cluster_failover(const Params& p);

/// In troupe-bench-cluster: the cases (node 1, the driver).
Outcome run_cluster_activate(const Params& p);
Outcome run_cluster_tell(const Params& p);
Outcome run_cluster_failover(const Params& p);

/// In troupe-bench-cluster: nodes 2 and 3, which a case starts as
/// `troupe-bench-cluster --cluster-node ttl=S nodes=3 node=K workers=W`
/// (see cases/cluster_node.cpp). Never returns.
Outcome run_cluster_node(const Params& p);
/// Its keys: the lease TTL in seconds (0: the Cluster default), how many
/// members to wait for before it says READY, its number (for its lines on
/// stderr), and its workers.
inline std::vector<KeySpec> cluster_node_keys() {
  return {{"ttl", 0, 0, 3600}, {"nodes", 3, 1, 64}, {"node", 2, 1, 64}, workers_key()};
}

}  // namespace troupe::bench
