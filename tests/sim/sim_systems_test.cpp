// Two ActorSystems on one simulation scheduler: clients in one ask
// servers in the other, and watch them, while the servers' system shuts
// down at a random step. Every ask ends once (a reply only from a server
// still up), every watch gets one Down with the shutdown's reason, and the
// clients' system carries on.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/gtest.hpp>

namespace sim_systems_test {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::AskError;
using troupe::ExitReason;
using troupe::SimContext;
using troupe::Task;

constexpr int kServers = 2;
constexpr int kClients = 3;

struct Ledger {
  int asks = 0;
  int ended = 0;
  int replies = 0;
  int replies_after_shutdown = 0;
  int downs = 0;
  int watches = 0;
  bool servers_down = false;
  std::string wrong;
};

struct Echo {
  int value;
};

struct Server : troupe::Actor<Server> {
  explicit Server(Ledger* l) : ledger(l) {}
  Task<int> handle(Echo e) {
    co_await troupe::sleep_for(std::chrono::microseconds(e.value % 500));
    if (ledger->servers_down) ++ledger->replies_after_shutdown;
    co_return e.value;
  }
  Ledger* ledger;
};

struct Go {
  ActorRef<Server> server;
  int value;
  bool watch;
};

struct Client : troupe::Actor<Client> {
  explicit Client(Ledger* l) : ledger(l) {}
  Task<void> handle(Go g) {
    if (g.watch) {
      ++ledger->watches;
      this->monitor(g.server);
    }
    ++ledger->asks;
    Echo e{g.value};
    auto r = co_await g.server.ask(e, 2ms);
    ++ledger->ended;
    if (r) {
      ++ledger->replies;
      if (*r != g.value && ledger->wrong.empty()) ledger->wrong = "a reply to another ask";
    } else if (r.error() != AskError::kTimeout && r.error() != AskError::kDeadActor) {
      if (ledger->wrong.empty()) ledger->wrong = std::string("error ") + to_string(r.error());
    }
  }
  void handle(const troupe::Down& d) {
    ++ledger->downs;
    if (d.reason.kind() != ExitReason::Kind::kShutdown && ledger->wrong.empty()) {
      ledger->wrong = "a Down with reason " + d.reason.describe();
    }
  }
  Ledger* ledger;
};

void scenario(SimContext& sim) {
  Ledger l;
  ActorSystem servers_system(sim.scheduler(), {.log = sim.log_to_trace()});
  ActorSystem clients_system(sim.scheduler(), {.log = sim.log_to_trace()});
  std::vector<ActorRef<Server>> servers;
  std::vector<ActorRef<Client>> clients;
  for (int i = 0; i < kServers; ++i) servers.push_back(servers_system.spawn<Server>(&l));
  for (int i = 0; i < kClients; ++i) clients.push_back(clients_system.spawn<Client>(&l));
  sim.invariant("no ask ends twice; no reply from a system that is down",
                [&] { return l.ended <= l.asks && l.replies_after_shutdown == 0; });
  const auto shutdown_at = sim.random().below(60);
  for (int round = 0; round < 60; ++round) {
    if (static_cast<std::uint64_t>(round) == shutdown_at) {
      sim.note("the servers' system shuts down");
      servers_system.shutdown();
      l.servers_down = true;
    }
    Go g{servers[sim.random().index(kServers)], round, sim.random().chance(1, 4)};
    clients[sim.random().index(kClients)].tell(std::move(g));
    sim.scheduler().run(sim.random().below(8));
  }
  sim.scheduler().run(1'000'000);
  sim.check(l.wrong.empty(), l.wrong);
  sim.check(l.ended == l.asks, std::to_string(l.asks - l.ended) + " asks never ended");
  sim.check(l.downs == l.watches,
            std::to_string(l.watches) + " watches, " + std::to_string(l.downs) + " Downs");
  sim.check(servers_system.live_actors() == 0, "a server outlived its system's shutdown");
  sim.check(clients_system.live_actors() == kClients, "a client stopped");
}

TEST(SimSystems, TwoSystemsOnOneSchedulerOneShutsDownWhileTheOtherAsks) {
  troupe::simulate(scenario);
}

}  // namespace sim_systems_test
