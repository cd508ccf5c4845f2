// The simulated network's own behavior, one seed at a time: what a crash
// and a partition look like to the other node (how soon it sees a Down),
// that a partition shorter than the keepalive loses nothing, that a
// restarted node has a new incarnation, and that a seed replays its run.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/sim_network.hpp>
#include <troupe/sim/simulation.hpp>

#include "remote_test.pb.h"

namespace sim_network_test {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::Duration;
using troupe::ExitReason;
using troupe::SimContext;
using troupe::SimNetwork;
using troupe::SimNode;

struct Seen {
  troupe::SimScheduler* clock = nullptr;
  std::vector<std::uint64_t> seqs;
  std::optional<troupe::Down> down;
  troupe::Instant down_at{};
};

struct Sink : troupe::Actor<Sink> {
  using messages = troupe::proto::Messages<remote_test::Seq>;
  explicit Sink(Seen* s) : seen(s) {}
  void handle(const remote_test::Seq& s) { seen->seqs.push_back(s.seq()); }
  Seen* seen;
};

struct Watch {
  ActorRef<Sink> target;
};

struct Watcher : troupe::Actor<Watcher> {
  explicit Watcher(Seen* s) : seen(s) {}
  void handle(const Watch& w) { monitor(w.target); }
  void handle(const troupe::Down& d) {
    seen->down = d;
    seen->down_at = seen->clock->now();
  }
  Seen* seen;
};

// These tests time what the network does: no stalls of the whole
// "machine" (the scheduler's clock jumps while tasks are ready), which
// would make a second pass anywhere.
const troupe::SimSchedulerOptions kSteady{.time_jump_per_mille = 0};

// Two nodes, a sink published on b, looked up and watched from a.
struct Pair {
  Pair(SimContext& sim, Seen& seen)
      : net(std::make_shared<SimNetwork>(sim)), a(sim, net, "a", {"b"}), b(sim, net, "b") {
    seen.clock = &sim.scheduler();
    b.on_start = [&seen](SimNode& n) { n.node().publish("sink", n.system().spawn<Sink>(&seen)); };
    b.start();
    a.start();
    auto found = sim.scheduler().block_on(a.node().lookup<Sink>("b", "sink", 2s));
    EXPECT_TRUE(found) << found.detail();
    if (found) sink = *found;
    watcher = a.system().spawn<Watcher>(&seen);
    watcher.tell(Watch{sink});
    sim.scheduler().run_for(50ms);
  }
  std::shared_ptr<SimNetwork> net;
  SimNode a;
  SimNode b;
  ActorRef<Sink> sink;
  ActorRef<Watcher> watcher;
};

void tell_seqs(ActorRef<Sink>& sink, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t i = from; i < to; ++i) {
    remote_test::Seq s;
    s.set_seq(i);
    (void)sink.tell(s);
  }
}

TEST(SimNetwork, ACrashedNodeIsDownForItsPeersWithinAFewLatencies) {
  SimContext sim(11, SimContext::kUnlimited, kSteady);
  Seen seen;
  Pair p(sim, seen);
  ASSERT_FALSE(seen.down);
  const auto crashed_at = sim.scheduler().now();
  p.b.crash();
  sim.scheduler().run_for(100ms);
  ASSERT_TRUE(seen.down);
  EXPECT_EQ(seen.down->reason.kind(), ExitReason::Kind::kNodeDown);
  EXPECT_LT(seen.down_at - crashed_at, 20ms);  // the reset, not the keepalive
}

TEST(SimNetwork, APartitionIsFoundByTheKeepaliveAndHealsIntoANewConnection) {
  SimContext sim(12, SimContext::kUnlimited, kSteady);
  Seen seen;
  Pair p(sim, seen);
  const auto cut_at = sim.scheduler().now();
  p.net->partition("a", "b");
  sim.scheduler().run_for(3s);
  ASSERT_TRUE(seen.down);
  EXPECT_EQ(seen.down->reason.kind(), ExitReason::Kind::kNodeDown);
  // Silence for the keepalive's interval and timeout (500 ms + 500 ms), no sooner.
  EXPECT_GE(seen.down_at - cut_at, 1s);
  EXPECT_LT(seen.down_at - cut_at, 1500ms);
  EXPECT_TRUE(p.a.node().peers().empty());
  p.net->heal("a", "b");
  sim.scheduler().run_for(2s);
  EXPECT_EQ(p.a.node().peers(), std::vector<std::string>{"b"});
}

TEST(SimNetwork, APartitionShorterThanTheKeepaliveLosesNothing) {
  SimContext sim(13, SimContext::kUnlimited, kSteady);
  Seen seen;
  Pair p(sim, seen);
  tell_seqs(p.sink, 0, 50);
  p.net->partition("a", "b");
  tell_seqs(p.sink, 50, 100);
  sim.scheduler().run_for(400ms);
  EXPECT_LT(seen.seqs.size(), 100u);  // held by the partition
  p.net->heal("a", "b");
  sim.scheduler().run_for(1s);
  ASSERT_EQ(seen.seqs.size(), 100u);
  for (std::uint64_t i = 0; i < 100; ++i) EXPECT_EQ(seen.seqs[i], i);
  EXPECT_FALSE(seen.down);
}

TEST(SimNetwork, ARestartedNodeHasANewIncarnationAndItsOldActorsStayGone) {
  SimContext sim(14, SimContext::kUnlimited, kSteady);
  Seen seen;
  Pair p(sim, seen);
  const std::uint64_t first = p.b.incarnation();
  p.b.crash();
  p.b.start();
  EXPECT_NE(p.b.incarnation(), first);
  sim.scheduler().run_for(1s);
  tell_seqs(p.sink, 0, 5);  // the old run's sink: dead letters
  sim.scheduler().run_for(100ms);
  EXPECT_TRUE(seen.seqs.empty());
  auto again = sim.scheduler().block_on(p.a.node().lookup<Sink>("b", "sink", 2s));
  ASSERT_TRUE(again);
  tell_seqs(*again, 0, 5);
  sim.scheduler().run_for(100ms);
  EXPECT_EQ(seen.seqs.size(), 5u);
}

// The whole run, network included, is a function of the seed.
TEST(SimNetwork, ASeedReplaysTheSameRunAndAnotherSeedDoesNot) {
  auto run = [](std::uint64_t seed) {
    SimContext sim(seed, SimContext::kUnlimited, kSteady);
    Seen seen;
    {
      Pair p(sim, seen);
      tell_seqs(p.sink, 0, 20);
      p.net->partition("a", "b");
      sim.scheduler().run_for(1500ms);
      p.net->heal_all();
      p.b.crash();
      p.b.start();
      sim.scheduler().run_for(1s);
    }
    return sim.scheduler().trace().hash();
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace sim_network_test
