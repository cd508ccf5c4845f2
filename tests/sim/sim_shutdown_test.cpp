// Shutdown while busy, under a seeded schedule: a tree of actors handles
// slow messages, fails and restarts, while the system shuts down at a
// random step; every instance that started runs on_stop exactly once,
// children before their parent, and nothing is left alive.

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/gtest.hpp>

namespace sim_shutdown_test {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::Duration;
using troupe::ExitReason;
using troupe::SimContext;
using troupe::Task;

constexpr int kMaxNodes = 64;

/// Per actor of the tree (numbered as spawned; a restarted parent spawns
/// new children under new numbers): instances started and stopped.
struct Tally {
  int starts[kMaxNodes] = {};
  int stops[kMaxNodes] = {};
  int nodes = 0;
  std::string wrong;
};

struct Busy {
  Duration pause;
};
struct Crash {};

struct Node;
struct Registry {
  std::vector<ActorRef<Node>> refs = std::vector<ActorRef<Node>>(kMaxNodes);
};

struct Node : troupe::Actor<Node> {
  Node(Tally* t, Registry* r, int number, int depth)
      : tally(t), reg(r), number(number), depth(depth) {}
  void on_start() {
    ++tally->starts[number];
    if (depth == 0) return;
    for (int i = 0; i < 2 && tally->nodes < kMaxNodes; ++i) {
      const int child = tally->nodes++;
      children.push_back(child);
      reg->refs[child] = this->template spawn<Node>(tally, reg, child, depth - 1);
    }
  }
  void on_stop(const ExitReason& r) {
    ++tally->stops[number];
    // A stop (shutdown here) stops the children first. (A restart stops
    // the old instance first, then its children: not checked.)
    if (r.kind() != ExitReason::Kind::kShutdown) return;
    for (int c : children) {
      if (tally->stops[c] != tally->starts[c] && tally->wrong.empty()) {
        tally->wrong =
            "node " + std::to_string(number) + " stopped before its child " + std::to_string(c);
      }
    }
  }
  Task<void> handle(Busy b) { co_await troupe::sleep_for(b.pause); }
  void handle(Crash) { throw std::runtime_error("node " + std::to_string(number) + " crashed"); }
  Tally* tally;
  Registry* reg;
  int number;
  int depth;
  std::vector<int> children;
};

Task<void> drive(SimContext* sim, Tally* t, Registry* reg, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    const int n = static_cast<int>(sim->random().index(static_cast<std::size_t>(t->nodes)));
    ActorRef<Node> target = reg->refs[n];
    if (sim->random().chance(1, 8)) {
      if (sim->fault("crash node " + std::to_string(n))) target.tell(Crash{});
    } else if (sim->random().chance(1, 12)) {
      sim->note("stop node " + std::to_string(n));
      target.stop();
    } else {
      target.tell(Busy{sim->random().duration(0ms, 3ms)});
    }
    if (sim->random().chance(1, 3)) {
      const auto pause = sim->random().duration(0ms, 1ms);
      co_await troupe::sleep_for(pause);
    }
  }
}

Task<void> drive_all(SimContext* sim, Tally* t, Registry* reg) {
  auto a = troupe::spawn(drive(sim, t, reg, 30));
  auto b = troupe::spawn(drive(sim, t, reg, 30));
  co_await a;
  co_await b;
}

void scenario(SimContext& sim) {
  Tally t;
  Registry reg;
  {
    ActorSystem system(sim.scheduler(), {.log = sim.log_to_trace()});
    for (int i = 0; i < 2; ++i) {
      const int root = t.nodes++;
      reg.refs[root] = system.spawn<Node>(&t, &reg, root, 2);
    }
    sim.invariant("no instance stops twice", [&] {
      for (int n = 0; n < t.nodes; ++n) {
        if (t.stops[n] > t.starts[n]) return false;
      }
      return t.wrong.empty();
    });
    sim.scheduler().run_until_idle();  // the tree is up
    auto drivers = sim.scheduler().spawn(drive_all(&sim, &t, &reg));
    // Shut down in the middle of it all, at a random step.
    sim.scheduler().run(sim.random().below(400));
    sim.note("shutdown");
    system.shutdown();
    sim.check(system.live_actors() == 0,
              std::to_string(system.live_actors()) + " actors alive after shutdown");
    // The drivers go on telling stopped actors; they end before the system.
    sim.scheduler().block_on(
        [](troupe::JoinHandle<void> h) -> Task<void> { co_await h; }(std::move(drivers)));
    reg.refs.clear();
  }
  sim.check(t.wrong.empty(), t.wrong);
  for (int n = 0; n < t.nodes; ++n) {
    sim.check(t.starts[n] == t.stops[n], "node " + std::to_string(n) + " started " +
                                             std::to_string(t.starts[n]) + " times, stopped " +
                                             std::to_string(t.stops[n]));
  }
}

// The fixture form (troupe::SimulationTest): simulate() as a member.
using SimShutdown = troupe::SimulationTest;

TEST_F(SimShutdown, EveryOnStopRunsOnceChildrenFirstEvenWhileBusy) { simulate(scenario); }

}  // namespace sim_shutdown_test
