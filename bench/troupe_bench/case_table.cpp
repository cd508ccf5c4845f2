#include "case_table.hpp"

#include <troupe/channels/channel.hpp>

#include "cases/cases.hpp"
#include "cases/cluster_cases.hpp"
#include "cases/remote_cases.hpp"

namespace troupe::bench {

namespace {

// The remote cases run in troupe-bench-remote, which exists only when the
// remote module is built; otherwise they are listed as not implemented.
#if TROUPE_BENCH_REMOTE
constexpr RunCase kRemotePingPong = exec_remote_ping_pong;
constexpr RunCase kRemoteFanIn = exec_remote_fan_in;
constexpr RunCase kRemoteAskLatency = exec_remote_ask_latency;
#else
constexpr RunCase kRemotePingPong = nullptr;
constexpr RunCase kRemoteFanIn = nullptr;
constexpr RunCase kRemoteAskLatency = nullptr;
#endif
// Likewise the cluster cases and troupe-bench-cluster (with the cluster module).
#if TROUPE_BENCH_CLUSTER
constexpr RunCase kClusterActivate = exec_cluster_activate;
constexpr RunCase kClusterTell = exec_cluster_tell;
constexpr RunCase kClusterFailover = exec_cluster_failover;
#else
constexpr RunCase kClusterActivate = nullptr;
constexpr RunCase kClusterTell = nullptr;
constexpr RunCase kClusterFailover = nullptr;
#endif

// The spec's parameters of `keys`, plus workers.
std::vector<KeySpec> with_workers(std::vector<KeySpec> keys) {
  keys.push_back(workers_key());
  return keys;
}

}  // namespace

const std::vector<CaseInfo>& case_table() {
  // Defaults are the spec's; a case whose run is nullptr would be listed
  // (so that its keys are already checked) but report "not implemented yet".
  static const std::vector<CaseInfo> table = {
      {"ping_pong", with_workers({{"n", 1'000'000}}), run_ping_pong},
      {"thread_ring", with_workers({{"n", 10'000'000}, {"actors", 503, 1}}), run_thread_ring},
      {"fan_in", with_workers({{"n", 10'000'000}, {"producers", 4, 1}, {"mailbox", 64, 0}}),
       run_fan_in},
      {"fork_join", with_workers({{"n", 6'000'000}, {"actors", 60, 1}, {"mailbox", 64, 0}}),
       run_fork_join},
      {"spawn_tree", with_workers({{"n", 1'000'000}}), run_spawn_tree},
      {"idle_actors", with_workers({{"n", 1'000'000}}), run_idle_actors},
      {"channel_mpmc",
       with_workers({{"n", 10'000'000},
                     {"producers", 2, 1, 4096},
                     {"consumers", 2, 1, 4096},
                     {"capacity", 1024, 1, static_cast<std::int64_t>(channel::kMaxCapacity)}}),
       run_channel_mpmc},
      // The distributed cases: two processes on loopback (remote_*), three
      // nodes around one etcd (cluster_*); bench/README.md.
      {"remote_ping_pong", remote_ping_pong_keys(), kRemotePingPong},
      {"remote_fan_in", remote_fan_in_keys(), kRemoteFanIn},
      {"remote_ask_latency", remote_ask_latency_keys(), kRemoteAskLatency},
      {"cluster_activate", cluster_activate_keys(), kClusterActivate},
      {"cluster_tell", cluster_tell_keys(), kClusterTell},
      {"cluster_failover", cluster_failover_keys(), kClusterFailover},
  };
  return table;
}

const CaseInfo* find_case(std::string_view name) {
  for (const auto& c : case_table()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace troupe::bench
