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
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/node.hpp>
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

}  // namespace troupe::bench
