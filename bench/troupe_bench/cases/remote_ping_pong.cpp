// remote_ping_pong: the spec's ping_pong with A and B in two processes on
// loopback. A (a task in process 1) sends Ping{i} to B (an actor in
// process 2), B answers Pong{i}, and A sends the next Ping only once the
// Pong is in: one message in flight each way, so this measures the round
// trip of the remote path (encode, outbox, gRPC write, loopback TCP, the
// reader task, decode, mailbox, and back), not throughput.
//
// A is an ask per round trip (`co_await b.ask(Ping{i})`), the natural
// Troupe shape: B's reply travels back on the same stream as a REPLY
// envelope. Telling Pong back instead would need B to hold a ref to
// an actor A published by process 1; the messages on the wire are the same
// (one envelope each way per round trip), so the ask is equivalent.
//
// Process 2 is troupe-bench-remote in this case's server role (remote_support.hpp):
// it publishes B as "ponger" and prints its address; process 1 looks B up
// before the clock starts, so secs covers the n round trips only, not the
// process start, the connection or the lookup. rss_kb is process 1's.
// check = the sum of the i that A got back = n*(n-1)/2.
//
// remote_ask_latency (below) asks the same B from `askers` tasks at once
// and reports the percentiles of the asks' latencies as well.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

#include "cases/actor_support.hpp"
#include "cases/remote_cases.hpp"
#include "cases/remote_support.hpp"
#include "remote_bench.pb.h"

namespace troupe::bench {

namespace {

using ::troupe_bench::Ping;
using ::troupe_bench::Pong;

constexpr const char* kCase = "remote_ping_pong";
constexpr const char* kPonger = "ponger";

// B, in process 2.
class Ponger : public Actor<Ponger> {
 public:
  using messages = proto::Messages<Ping>;  // what process 1 may send it
  Pong handle(const Ping& m) {
    Pong r;
    r.set_i(m.i());
    return r;
  }
};

struct Measured {
  double secs = 0;
  std::uint64_t sum = 0;
};

// A, in process 1: a task on the system's runtime (block_on), so that the
// clock runs where the round trips are made.
Task<Measured> ping(ActorRef<Ponger> b, std::int64_t n) {
  Measured m;
  Ping ping;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < n; ++i) {
    ping.set_i(i);
    auto pong = co_await b.ask(ping);
    m.sum += static_cast<std::uint64_t>(pong.value().i());  // value() throws if the ask failed
  }
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
  m.secs = secs.count();
  co_return m;
}

// remote_ask_latency: `askers` tasks in process 1 ask B concurrently, each
// its share of the n asks one after another; every ask is timed from the
// call to its reply. The RESULT line adds the percentiles (microseconds).
struct Latencies {
  std::vector<std::int64_t> nanos;
  std::uint64_t sum = 0;
};

Task<Latencies> asker(ActorRef<Ponger> b, std::int64_t first, std::int64_t count) {
  Latencies l;
  l.nanos.reserve(static_cast<std::size_t>(count));
  Ping ping;
  for (std::int64_t i = first; i < first + count; ++i) {
    ping.set_i(i);
    const auto t0 = std::chrono::steady_clock::now();
    auto pong = co_await b.ask(ping);
    l.nanos.push_back((std::chrono::steady_clock::now() - t0).count());
    l.sum += static_cast<std::uint64_t>(pong.value().i());
  }
  co_return l;
}

Task<Latencies> ask_all(ActorRef<Ponger> b, std::int64_t n, std::int64_t askers, double* secs) {
  std::vector<JoinHandle<Latencies>> running;
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t first = 0;
  for (std::int64_t a = 0; a < askers; ++a) {
    const std::int64_t count = n / askers + (a < n % askers ? 1 : 0);
    running.push_back(spawn(asker(b, first, count)));
    first += count;
  }
  Latencies all;
  for (auto& r : running) {
    Latencies l = co_await r;
    all.nanos.insert(all.nanos.end(), l.nanos.begin(), l.nanos.end());
    all.sum += l.sum;
  }
  *secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  co_return all;
}

// The q-quantile (nearest rank) of sorted values, in microseconds.
double quantile_us(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[rank]) / 1000.0;
}

int serve(const Params& p) {
  ActorSystem system(actor_system_options(p));
  remote::Node node(system, bench_node_options(true));
  if (!node.publish(kPonger, system.spawn<Ponger>())) throw std::runtime_error("publish failed");
  announce(node);
  wait_for_stdin_to_close();
  node.shutdown();
  system.shutdown();
  return 0;
}

}  // namespace

Outcome run_remote_ping_pong(const Params& p) {
  const std::int64_t n = p.get("n");
  ServerProcess server(kCase, {"workers=" + std::to_string(p.workers())});
  Measured m;
  {
    ActorSystem system(actor_system_options(p));
    remote::Node node(system, bench_node_options(false));
    auto b = lookup_or_throw<Ponger>(system, node, server.address(), kPonger);
    m = system.block_on(ping(b, n));
    node.shutdown();
    system.shutdown();
  }
  server.stop();

  Outcome o;
  o.n = n;
  o.secs = m.secs;
  o.check = m.sum;
  o.expected = sum_below(n);
  return o;
}

Outcome run_remote_ping_pong_server(const Params& p) { end_server(serve(p)); }

Outcome run_remote_ask_latency(const Params& p) {
  const std::int64_t n = p.get("n");
  const std::int64_t askers = p.get("askers");
  // B is remote_ping_pong's: the same server role.
  ServerProcess server(kCase, {"workers=" + std::to_string(p.workers())});
  Latencies l;
  double secs = 0;
  {
    ActorSystem system(actor_system_options(p));
    remote::Node node(system, bench_node_options(false));
    auto b = lookup_or_throw<Ponger>(system, node, server.address(), kPonger);
    l = system.block_on(ask_all(b, n, askers, &secs));
    node.shutdown();
    system.shutdown();
  }
  server.stop();
  std::sort(l.nanos.begin(), l.nanos.end());
  Outcome o;
  std::snprintf(o.extra.data(), o.extra.size(), "askers=%lld p50_us=%.1f p99_us=%.1f p999_us=%.1f",
                static_cast<long long>(askers), quantile_us(l.nanos, 0.50),
                quantile_us(l.nanos, 0.99), quantile_us(l.nanos, 0.999));
  o.n = n;
  o.secs = secs;
  o.check = l.sum;
  o.expected = sum_below(n);
  return o;
}

}  // namespace troupe::bench
