// Remote actors under simulation: two nodes (the production remote::Node,
// handshake and sealed frames included) on a SimNetwork, while the test
// crashes and restarts the server's node, partitions and heals the two,
// and stops the server cleanly. Every ask ends exactly once with a right
// reply or an allowed failure; every watch of a remote actor gets exactly
// one Down; tells from one sender arrive in order, without duplicates; the
// server's on_stop runs on each clean stop and never in a crash.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/gtest.hpp>
#include <troupe/sim/sim_network.hpp>

#include "remote_test.pb.h"

namespace sim_remote_test {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::AskError;
using troupe::ExitReason;
using troupe::SimContext;
using troupe::SimNetwork;
using troupe::SimNode;
using troupe::Task;

struct Ledger {
  int asks = 0;
  std::map<int, int> ended;  // per ask: how often it ended
  int replies = 0;
  std::vector<ActorRef<struct Echo>> watched;
  std::map<std::pair<std::uint64_t, troupe::ActorId>, int> downs;  // per (node, actor)
  int total_downs = 0;
  int reorders = 0;
  bool server_running = false;  // its Echo started and has not stopped
  bool crashing = false;
  int expected_on_stop = 0;  // clean stops of a started Echo
  int server_on_stop = 0;
  std::string wrong;

  void note_wrong(std::string what) {
    if (wrong.empty()) wrong = std::move(what);
  }
};

/// The server: answers Ping with n + 1, checks the order of Seq per sender.
struct Echo : troupe::Actor<Echo> {
  using messages = troupe::proto::Messages<remote_test::Ping, remote_test::Seq>;
  explicit Echo(Ledger* l) : ledger(l) {}
  remote_test::Pong handle(const remote_test::Ping& p) {
    remote_test::Pong r;
    r.set_n(p.n() + 1);
    return r;
  }
  void handle(const remote_test::Seq& s) {
    // Each run of the server starts over (what it knew died with it); a
    // gap is a message lost with a connection, allowed; going back or
    // repeating is not.
    auto [it, first] = seen.try_emplace(s.sender(), s.seq());
    if (!first && s.seq() <= it->second) {
      ++ledger->reorders;
      ledger->note_wrong("sender " + std::to_string(s.sender()) + " seq " +
                         std::to_string(s.seq()) + " after " + std::to_string(it->second));
    }
    it->second = s.seq();
  }
  // Runs when its node stops cleanly, never when it crashes.
  void on_start() { ledger->server_running = true; }
  void on_stop(const ExitReason&) {
    if (ledger->crashing) ledger->note_wrong("on_stop ran in a crash");
    ledger->server_running = false;
    ++ledger->server_on_stop;
  }
  Ledger* ledger;
  std::map<std::uint32_t, std::uint64_t> seen;
};

struct Watch {
  ActorRef<Echo> ref;
};

/// Watches the servers it is given; counts the Downs.
struct Watcher : troupe::Actor<Watcher> {
  explicit Watcher(Ledger* l) : ledger(l) {}
  void handle(const Watch& w) {
    for (const auto& r : ledger->watched)
      if (r == w.ref) return;
    ledger->watched.push_back(w.ref);
    monitor(w.ref);
  }
  void handle(const troupe::Down& d) {
    ++ledger->total_downs;
    if (++ledger->downs[{d.node, d.actor}] > 1) ledger->note_wrong("a second Down for one actor");
    const auto kind = d.reason.kind();
    if (kind != ExitReason::Kind::kNodeDown && kind != ExitReason::Kind::kShutdown)
      ledger->note_wrong("a Down with reason " + d.reason.describe());
  }
  Ledger* ledger;
};

// One client's request: look the server up, ask it, and maybe watch it
// and tell it a numbered message.
Task<void> request(troupe::remote::Node& node, ActorRef<Watcher> watcher, Ledger& l, int n,
                   bool watch) {
  ++l.asks;
  auto finish = [&l, n] {
    if (++l.ended[n] > 1) l.note_wrong("ask " + std::to_string(n) + " ended twice");
  };
  auto ref = co_await node.lookup<Echo>("b", "echo", 300ms);
  if (!ref) {
    finish();
    co_return;
  }
  if (watch) watcher.tell(Watch{*ref});
  // Per-sender order: this task is the sender.
  for (std::uint64_t i = 0; i < 3; ++i) {
    remote_test::Seq seq;
    seq.set_sender(static_cast<std::uint32_t>(n));
    seq.set_seq(i);
    (void)ref->tell(seq);
  }
  remote_test::Ping ping;
  ping.set_n(n);
  auto r = co_await ref->ask(ping, 300ms);
  finish();
  if (r) {
    ++l.replies;
    if (r->n() != n + 1) l.note_wrong("a reply to another ask");
  } else if (r.error() != AskError::kTimeout && r.error() != AskError::kUnreachable &&
             r.error() != AskError::kDeadActor) {
    l.note_wrong(std::string("ask failed with ") + to_string(r.error()));
  }
}

void scenario(SimContext& sim) {
  Ledger l;
  auto net = std::make_shared<SimNetwork>(sim);
  SimNode b(sim, net, "b");
  b.on_start = [&l](SimNode& n) { n.node().publish("echo", n.system().spawn<Echo>(&l)); };
  b.start();
  SimNode a(sim, net, "a", {"b"});
  a.start();
  auto watcher = a.system().spawn<Watcher>(&l);
  sim.invariant("no ask ends twice, no Down twice, no message out of order",
                [&] { return l.wrong.empty(); });

  bool cut = false;
  for (int round = 0; round < 40; ++round) {
    const auto roll = sim.random().below(20);
    if (roll == 0 && b.up() && sim.fault("crash b")) {
      l.crashing = true;
      b.crash();
      l.crashing = false;
      l.server_running = false;
    } else if (roll == 1 && !b.up()) {
      b.start();
    } else if (roll == 2 && !cut && sim.fault("partition a | b")) {
      net->partition("a", "b");
      cut = true;
    } else if (roll == 3 && cut) {
      net->heal("a", "b");
      cut = false;
    } else if (roll == 4 && b.up() && sim.fault("stop b")) {
      if (l.server_running) ++l.expected_on_stop;
      b.stop();
    } else if (roll >= 15 && !b.up()) {
      b.start();
    }
    sim.scheduler().spawn(request(a.node(), watcher, l, round, sim.random().chance(1, 3))).detach();
    sim.scheduler().run_for(sim.random().duration(0ms, 40ms));
  }
  net->heal_all();
  if (!b.up()) b.start();
  sim.scheduler().run_for(3s);
  int never = 0;
  for (int n = 0; n < l.asks; ++n) never += l.ended[n] == 0 ? 1 : 0;
  sim.check(never == 0, std::to_string(never) + " asks never ended");
  sim.check(l.replies > 0 || sim.faults() > 0, "no ask answered without a fault");

  // The server goes for good: every watch ends with its Down.
  if (l.server_running) ++l.expected_on_stop;
  b.stop();
  sim.scheduler().run_for(3s);
  sim.check(
      l.total_downs == static_cast<int>(l.watched.size()),
      std::to_string(l.watched.size()) + " watches, " + std::to_string(l.total_downs) + " Downs");
  sim.check(l.server_on_stop == l.expected_on_stop,
            std::to_string(l.server_on_stop) + " on_stop runs for " +
                std::to_string(l.expected_on_stop) + " clean stops of a started server");
  sim.check(l.wrong.empty(), l.wrong);
}

TEST(SimRemote, AsksWatchesAndTellsAcrossCrashesPartitionsAndStops) { troupe::simulate(scenario); }

}  // namespace sim_remote_test
