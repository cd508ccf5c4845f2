// cluster_activate: the spec's activation throughput. Three nodes host the
// virtual actor kind "counter" (ClusterRun, cases/cluster_support.hpp);
// node 1 asks Inc{1} of n distinct identities c-0 .. c-(n-1), at most
// `inflight` asks outstanding. Each first message activates its identity:
// node 1 places it by rendezvous hashing over the three members, the home
// node's activator claims the activation record in etcd (a create-if-absent
// transaction under its lease) and spawns the counter, which answers its
// new value, 1.
//
// `inflight` askers run in node 1, each sending its next ask when its last
// reply is in; the ref is made in the loop (cluster.get, as a user would).
// secs runs from the first ask to the last reply; the cluster's start,
// etcd's included, comes before. check = the sum of the replies = n.
// rss_kb is node 1's.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include <troupe/runtime/task.hpp>

#include "cases/cluster_cases.hpp"
#include "cases/cluster_support.hpp"

namespace troupe::bench {

namespace {

struct Measured {
  double secs = 0;
  std::int64_t sum = 0;
};

// Makes the ref to counter i when its ask is sent.
struct CounterByIndex {
  ClusterNode* node;
  ActorRef<Counter> operator()(std::size_t i) const { return node->counter(counter_identity(i)); }
};

Task<Measured> activate(ClusterNode* node, std::size_t n, std::size_t inflight) {
  Inc inc;
  inc.set_amount(1);
  Measured m;
  const auto t0 = std::chrono::steady_clock::now();
  m.sum = co_await ask_counters(n, inflight, inc, CounterByIndex{node}, std::chrono::seconds(60));
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
  m.secs = secs.count();
  co_return m;
}

}  // namespace

Outcome run_cluster_activate(const Params& p) {
  const std::int64_t n = p.get("n");
  ClusterRun run({.workers = p.workers()});
  const Measured m = run.local().system().block_on(
      activate(&run.local(), static_cast<std::size_t>(n), p.get_size("inflight")));
  std::size_t activations = 0;
  Outcome o;
  o.invalid = run.finish(&activations);
  if (activations != static_cast<std::size_t>(n)) {
    std::fprintf(stderr, "troupe-bench-cluster: %zu activations logged for %lld identities\n",
                 activations, static_cast<long long>(n));
  }
  o.n = n;
  o.secs = m.secs;
  o.check = static_cast<std::uint64_t>(m.sum);
  o.expected = static_cast<std::uint64_t>(n);
  return o;
}

}  // namespace troupe::bench
