// cluster_tell: the spec's message throughput to virtual actors spread
// over three nodes. `actors` identities c-0 .. c-(actors-1) are activated
// first, by one ask each (Get, at most 1000 outstanding; not measured).
// Then `producers` tasks in node 1 tell n Add{1} in total (n/producers
// each, the first n%producers one more), round-robin over the identities:
// producer p's j-th message goes to identity (p + j*producers) % actors,
// so that together they go round the identities in order.
// `co_await ref.send(add)` waits while the way to the counter is full (the
// outbox to its node, NodeOptions::outbox_capacity), which is how the
// streams push back. Then node 1 asks every identity for its total (Get,
// at most 1000 outstanding): a virtual actor keeps one node's messages in
// order, so each Get comes after every Add sent to it.
//
// secs runs from the first tell to the last total. check = the sum of the
// totals = n. rss_kb is node 1's.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

#include "cases/cluster_cases.hpp"
#include "cases/cluster_support.hpp"

namespace troupe::bench {

namespace {

constexpr std::size_t kInflight = 1000;  // asks outstanding, activating and reading totals
constexpr std::chrono::seconds kAskTimeout{60};

struct Measured {
  double secs = 0;
  std::int64_t sum = 0;
};

struct CounterAt {
  const std::vector<ActorRef<Counter>>* refs;
  ActorRef<Counter> operator()(std::size_t i) const { return (*refs)[i]; }
};

// One producer: `count` Add{1}, to identities first, first + step, ...
// (modulo the number of identities).
Task<void> produce(const std::vector<ActorRef<Counter>>* refs, std::size_t first, std::size_t step,
                   std::int64_t count) {
  Add add;
  add.set_amount(1);
  const std::size_t actors = refs->size();
  std::size_t k = first % actors;
  const std::size_t stride = step % actors;
  for (std::int64_t j = 0; j < count; ++j) {
    const TellStatus sent = co_await (*refs)[k].send(add);  // waits while the way is full
    if (sent != TellStatus::kQueued) throw std::runtime_error("a tell to a counter was refused");
    k += stride;
    if (k >= actors) k -= actors;
  }
}

// The driver, in node 1: a task on its runtime (block_on).
Task<Measured> tell(const std::vector<ActorRef<Counter>>* refs, std::int64_t n,
                    std::int64_t producers) {
  Measured m;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<JoinHandle<void>> running;
  running.reserve(static_cast<std::size_t>(producers));
  for (std::int64_t i = 0; i < producers; ++i) {
    const std::int64_t share = n / producers + (i < n % producers ? 1 : 0);
    running.push_back(spawn(
        produce(refs, static_cast<std::size_t>(i), static_cast<std::size_t>(producers), share)));
  }
  for (auto& r : running) co_await r;  // rethrows a producer's failure
  m.sum = co_await ask_counters(refs->size(), kInflight, Get{}, CounterAt{refs}, kAskTimeout);
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
  m.secs = secs.count();
  co_return m;
}

}  // namespace

Outcome run_cluster_tell(const Params& p) {
  const std::int64_t n = p.get("n");
  const std::size_t actors = p.get_size("actors");
  ClusterRun run({.workers = p.workers()});
  ClusterNode& node = run.local();
  std::vector<ActorRef<Counter>> refs;
  refs.reserve(actors);
  for (std::size_t i = 0; i < actors; ++i) refs.push_back(node.counter(counter_identity(i)));
  // Every identity activated and answering before the clock starts.
  const std::int64_t before =
      node.system().block_on(ask_counters(actors, kInflight, Get{}, CounterAt{&refs}, kAskTimeout));
  if (before != 0) throw std::runtime_error("fresh counters answered a nonzero total");
  const Measured m = node.system().block_on(tell(&refs, n, p.get("producers")));
  refs.clear();
  Outcome o;
  o.invalid = run.finish();
  o.n = n;
  o.secs = m.secs;
  o.check = static_cast<std::uint64_t>(m.sum);
  o.expected = static_cast<std::uint64_t>(n);
  return o;
}

}  // namespace troupe::bench
