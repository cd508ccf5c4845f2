// cluster_failover: how long the identities of a node that dies are gone.
// Three nodes host "counter"; `actors` identities c-0 .. are activated and
// answering (one ask each, which also tells which node each lives on; not
// measured). Then node 1 asks them round-robin, one ask outstanding per
// identity: a task per identity asks Inc{1} with a deadline of `timeout`
// ms, and asks again as soon as the reply or the failure is in (after a
// 10 ms pause when the failure came at once: a refused ask, not a timeout,
// so that a refusing identity does not spin). Every reply names the node
// that answered.
//
// After 2 s node 1 kills node 3 with SIGKILL. secs runs from the kill to
// the moment the last of the identities that lived on node 3 has answered
// again from a survivor: node 3's lease expires (the TTL: 5 s, the Cluster
// default, with tuned=0; 2 s with tuned=1), the others see it gone, and the
// next message activates each of those identities on its second choice.
// The asking goes on until 30 s after the kill; then every identity is
// asked once more: check = the identities that answer (= actors).
// The spec reports this case as seconds, lower is better (rate = n/secs,
// with n = 1, means nothing).
//
// The spec's validity rule: no identity may have been active on two nodes
// at once. Every node logs its activations (cases/cluster_support.hpp);
// node 3's end when it is reaped. ClusterRun::finish compares them.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <troupe/actor/ask_result.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>

#include "cases/cluster_cases.hpp"
#include "cases/cluster_support.hpp"

namespace troupe::bench {

namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr auto kKillAfter = 2s;     // of asking
constexpr auto kCheckAfter = 30s;   // after the kill
constexpr std::size_t kVictim = 3;  // the node killed
constexpr auto kPauseAfterRefusal = 10ms;

std::int64_t steady_ns(Steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// What the askers and the driver share.
struct Shared {
  explicit Shared(std::size_t actors) : answered_again(actors) {}
  std::string victim;                                     // node 3's name
  std::atomic<bool> killed{false};                        // set just before the kill
  std::vector<std::atomic<std::int64_t>> answered_again;  // by identity: steady ns of its first
                                                          // reply from a survivor after the kill
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> failed{0};  // asks that failed
};

// The asker of identity i: one ask outstanding, until told to stop.
Task<void> keep_asking(std::shared_ptr<Shared> s, ActorRef<Counter> ref, std::size_t i,
                       Duration timeout) {
  Inc inc;
  inc.set_amount(1);
  while (!s->stop.load(std::memory_order_acquire)) {
    auto reply = co_await ref.ask(inc, timeout);
    if (reply) {
      if (s->killed.load(std::memory_order_acquire) && reply->node() != s->victim &&
          s->answered_again[i].load(std::memory_order_relaxed) == 0) {
        s->answered_again[i].store(steady_ns(Steady::now()), std::memory_order_release);
      }
      continue;
    }
    s->failed.fetch_add(1, std::memory_order_relaxed);
    if (reply.error() != AskError::kTimeout) co_await sleep_for(kPauseAfterRefusal);
  }
}

// Asks every counter once, all at once: the node each answered from (empty:
// it did not answer within `timeout`).
Task<std::vector<std::string>> ask_each_once(std::vector<ActorRef<Counter>> refs,
                                             Duration timeout) {
  Inc inc;
  inc.set_amount(1);
  std::vector<AskFuture<Value>> asks;
  asks.reserve(refs.size());
  for (const auto& r : refs) asks.push_back(r.ask(inc, timeout));
  std::vector<std::string> nodes;
  nodes.reserve(refs.size());
  for (auto& a : asks) {
    auto reply = co_await std::move(a);
    nodes.push_back(reply ? reply->node() : std::string());
  }
  co_return nodes;
}

}  // namespace

Outcome run_cluster_failover(const Params& p) {
  const std::size_t actors = p.get_size("actors");
  const Duration timeout = std::chrono::milliseconds(p.get("timeout"));
  const bool tuned = p.get("tuned") != 0;
  ClusterRun run({.workers = p.workers(), .ttl = tuned ? 2s : 0s});
  ClusterNode& node = run.local();
  std::vector<ActorRef<Counter>> refs;
  refs.reserve(actors);
  for (std::size_t i = 0; i < actors; ++i) refs.push_back(node.counter(counter_identity(i)));

  // Activated and answering; who lives where.
  const std::vector<std::string> homes = node.system().block_on(ask_each_once(refs, 60s));
  auto s = std::make_shared<Shared>(actors);
  s->victim = run.node_name(kVictim);
  std::vector<std::size_t> victims;
  for (std::size_t i = 0; i < actors; ++i) {
    if (homes[i].empty()) {
      throw std::runtime_error("counter " + counter_identity(i) + " did not answer at first");
    }
    if (homes[i] == s->victim) victims.push_back(i);
  }

  std::vector<JoinHandle<void>> askers;
  askers.reserve(actors);
  for (std::size_t i = 0; i < actors; ++i) {
    askers.push_back(node.system().runtime().spawn(keep_asking(s, refs[i], i, timeout)));
  }
  std::this_thread::sleep_for(kKillAfter);
  const auto killed_at = Steady::now();
  s->killed.store(true, std::memory_order_release);
  run.kill(kVictim);
  const auto deadline = killed_at + kCheckAfter;

  // Until the last of node 3's identities has answered again.
  bool all_back = false;
  while (!all_back && Steady::now() < deadline) {
    all_back = std::all_of(victims.begin(), victims.end(), [&](std::size_t i) {
      return s->answered_again[i].load(std::memory_order_acquire) != 0;
    });
    if (!all_back) std::this_thread::sleep_for(1ms);
  }
  double secs = std::chrono::duration<double>(kCheckAfter).count();
  if (all_back) {
    std::int64_t last = steady_ns(killed_at);
    for (std::size_t i : victims) last = std::max(last, s->answered_again[i].load());
    secs = static_cast<double>(last - steady_ns(killed_at)) / 1e9;
  }

  std::this_thread::sleep_until(deadline);
  s->stop.store(true, std::memory_order_release);
  for (auto& a : askers) a.wait();
  const std::vector<std::string> after = node.system().block_on(ask_each_once(refs, timeout));
  const auto answering = static_cast<std::uint64_t>(
      std::count_if(after.begin(), after.end(), [](const std::string& n) { return !n.empty(); }));
  std::fprintf(stderr,
               "troupe-bench-cluster: node 3 held %zu of %zu identities; %s; %llu asks failed\n",
               victims.size(), actors,
               all_back ? "all of them answered again" : "NOT all of them answered again in 30 s",
               static_cast<unsigned long long>(s->failed.load()));
  refs.clear();

  Outcome o;
  o.invalid = run.finish();
  o.n = 1;
  o.secs = secs;
  o.check = answering;
  o.expected = actors;
  return o;
}

}  // namespace troupe::bench
