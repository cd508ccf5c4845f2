// remote_fan_in: the spec's fan_in across two processes on loopback.
// `producers` tasks in process 1 each send their share of n Add{1}
// (n/producers, the first n%producers one more) in a tight loop to one
// counter actor in process 2, as fast as the connection takes them:
// `co_await counter.send(add)` waits while the outbox to process 2 is full
// (NodeOptions::outbox_capacity), which is how the stream's flow control
// slows the producers down. This measures the throughput of one stream
// between two nodes: batching, encoding and decoding, and the counter's
// mailbox.
//
// Completion: the counter (process 2) sends its sum into a one-slot channel
// when it reaches n; a second actor there, the waiter, answers the ask
// AwaitTotal from that channel, so the reply reaches process 1 as soon as
// the sum is n (the waiter's coroutine handler waits, the counter's mailbox
// does not). The ask is sent before the clock starts (and before the first
// Add, on the same ordered stream), and its reply stops the clock.
//
// Process 2 is troupe-bench-remote in this case's server role (remote_support.hpp):
// it publishes "counter" and "waiter" and prints its address; process 1
// looks both up before the clock starts, so secs covers the sending and
// the reply only. rss_kb is process 1's. check = the sum = n.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/channels/channel.hpp>
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

using ::troupe_bench::Add;
using ::troupe_bench::AwaitTotal;
using ::troupe_bench::Total;

constexpr const char* kCase = "remote_fan_in";
constexpr const char* kCounter = "counter";
constexpr const char* kWaiter = "waiter";

// In process 2: sums the Adds; sends the sum to the waiter once it is n.
class Counter : public Actor<Counter> {
 public:
  using messages = proto::Messages<Add>;  // what process 1 may send it
  Counter(std::int64_t n, Sender<std::int64_t> done) : n_(n), done_(std::move(done)) {}

  // With n = 0 no Add ever comes to finish it.
  void on_start() {
    if (n_ == 0) complete(done_, std::int64_t{0});
  }
  void handle(const Add& m) {
    sum_ += m.amount();
    if (sum_ == n_) complete(done_, sum_);
  }

 private:
  std::int64_t n_;
  Sender<std::int64_t> done_;
  std::int64_t sum_ = 0;
};

// In process 2: answers AwaitTotal once the counter is done.
class Waiter : public Actor<Waiter> {
 public:
  using messages = proto::Messages<AwaitTotal>;
  explicit Waiter(Receiver<std::int64_t> done) : done_(std::move(done)) {}

  Task<Total> handle(AwaitTotal) {
    const std::optional<std::int64_t> sum = co_await done_.recv();
    if (!sum) throw std::runtime_error("the counter is gone");
    Total t;
    t.set_sum(*sum);
    co_return t;
  }

 private:
  Receiver<std::int64_t> done_;
};

struct Measured {
  double secs = 0;
  std::int64_t sum = 0;
};

// One producer, in process 1.
Task<void> produce(ActorRef<Counter> counter, std::int64_t count) {
  Add add;
  add.set_amount(1);
  for (std::int64_t i = 0; i < count; ++i) {
    const TellStatus sent = co_await counter.send(add);  // waits while the outbox is full
    if (sent != TellStatus::kQueued) throw std::runtime_error("a send to the counter was refused");
  }
}

// The driver, in process 1: a task on the system's runtime (block_on), so
// that the clock runs where the producers are spawned and joined.
Task<Measured> fan_in(ActorRef<Counter> counter, ActorRef<Waiter> waiter, std::int64_t n,
                      std::int64_t producers) {
  auto total = waiter.ask(AwaitTotal{});
  Measured m;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<JoinHandle<void>> running;
  running.reserve(static_cast<std::size_t>(producers));
  for (std::int64_t i = 0; i < producers; ++i) {
    const std::int64_t share = n / producers + (i < n % producers ? 1 : 0);
    running.push_back(spawn(produce(counter, share)));
  }
  for (auto& r : running) co_await r;  // rethrows a producer's failure
  auto reply = co_await total;
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
  m.secs = secs.count();
  m.sum = reply.value().sum();  // value() throws if the ask failed
  co_return m;
}

int serve(const Params& p) {
  ActorSystem system(actor_system_options(p));
  remote::Node node(system, bench_node_options(true));
  auto [done_tx, done_rx] = channel::bounded<std::int64_t>(1);
  auto counter = system.spawn<Counter>(p.get("n"), std::move(done_tx));
  auto waiter = system.spawn<Waiter>(std::move(done_rx));
  if (!node.publish(kCounter, counter) || !node.publish(kWaiter, waiter)) {
    throw std::runtime_error("publish failed");
  }
  announce(node);
  wait_for_stdin_to_close();
  node.shutdown();
  system.shutdown();
  return 0;
}

}  // namespace

Outcome run_remote_fan_in(const Params& p) {
  const std::int64_t n = p.get("n");
  const std::int64_t producers = p.get("producers");
  ServerProcess server(kCase, {"n=" + std::to_string(n), "workers=" + std::to_string(p.workers())});
  Measured m;
  {
    ActorSystem system(actor_system_options(p));
    remote::Node node(system, bench_node_options(false));
    auto counter = lookup_or_throw<Counter>(system, node, server.address(), kCounter);
    auto waiter = lookup_or_throw<Waiter>(system, node, server.address(), kWaiter);
    m = system.block_on(fan_in(counter, waiter, n, producers));
    node.shutdown();
    system.shutdown();
  }
  server.stop();

  Outcome o;
  o.n = n;
  o.secs = m.secs;
  o.check = static_cast<std::uint64_t>(m.sum);
  o.expected = static_cast<std::uint64_t>(n);
  return o;
}

Outcome run_remote_fan_in_server(const Params& p) { end_server(serve(p)); }

}  // namespace troupe::bench
