// Asks under a seeded schedule: replies race timeouts, handlers fail,
// responders stop with asks queued or in a coroutine handler; every ask
// ends exactly once, with the right reply or an error that fits what
// happened, and no ask without a timeout is left waiting.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/ask_result.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/gtest.hpp>

namespace sim_ask_test {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::AskError;
using troupe::Duration;
using troupe::SimContext;
using troupe::SupervisorStrategy;
using troupe::Task;

constexpr int kResponders = 2;
constexpr int kAskers = 3;
constexpr int kAsksEach = 12;
constexpr int kAsks = kAskers * kAsksEach;

struct Ledger {
  int handled[kAsks] = {};  // handlers that returned a reply for the ask
  int threw[kAsks] = {};    // handlers that threw for it
  int ended[kAsks] = {};    // times the asker's co_await gave a result
  int issued = 0;
  int timeouts = 0;  // coverage
  int dead = 0;
  std::string wrong;  // the first wrong outcome
};

struct Quick {
  int id;
};
struct Slow {
  int id;
  Duration delay;
};
struct Bad {
  int id;
};

struct Responder : troupe::Actor<Responder> {
  explicit Responder(Ledger* l) : ledger(l) {}
  int handle(const Quick& q) {
    ++ledger->handled[q.id];
    return q.id * 2;
  }
  Task<int> handle(Slow s) {
    co_await troupe::sleep_for(s.delay);
    ++ledger->handled[s.id];
    co_return s.id * 2;
  }
  int handle(const Bad& b) {
    ++ledger->threw[b.id];
    throw std::runtime_error("bad ask " + std::to_string(b.id));
  }
  Ledger* ledger;
};

void judge(Ledger* l, int id, bool timed, const troupe::AskResult<int>& r) {
  ++l->ended[id];
  auto wrong = [&](const std::string& what) {
    if (l->wrong.empty()) l->wrong = "ask " + std::to_string(id) + ": " + what;
  };
  if (r) {
    if (*r != id * 2) wrong("a reply for another ask: " + std::to_string(*r));
    if (l->handled[id] != 1) wrong("a reply without a handler that returned it");
    return;
  }
  switch (r.error()) {
    case AskError::kTimeout:
      ++l->timeouts;
      if (!timed) wrong("timed out without a timeout");
      return;
    case AskError::kFailed:
      if (l->threw[id] != 1) wrong("failed without a handler that threw");
      return;
    case AskError::kDeadActor:
      ++l->dead;
      if (l->handled[id] != 0) wrong("dead actor, though a handler replied");
      return;
    default:
      wrong(std::string("unexpected error ") + troupe::to_string(r.error()));
  }
}

Task<void> ask_one(Ledger* l, int id, ActorRef<Responder> to, int kind, Duration delay,
                   std::optional<Duration> timeout) {
  std::optional<troupe::AskResult<int>> r;
  if (kind == 0) {
    Quick q{id};
    if (timeout) {
      r.emplace(co_await to.ask(q, *timeout));
    } else {
      r.emplace(co_await to.ask(q));
    }
  } else if (kind == 1) {
    Slow s{id, delay};
    if (timeout) {
      r.emplace(co_await to.ask(s, *timeout));
    } else {
      r.emplace(co_await to.ask(s));
    }
  } else {
    Bad b{id};
    if (timeout) {
      r.emplace(co_await to.ask(b, *timeout));
    } else {
      r.emplace(co_await to.ask(b));
    }
  }
  judge(l, id, timeout.has_value(), *r);
}

Task<void> asker(SimContext* sim, Ledger* l, std::vector<ActorRef<Responder>>* rs, int first) {
  for (int i = 0; i < kAsksEach; ++i) {
    const int id = first + i;
    ++l->issued;
    const int target = static_cast<int>(sim->random().index(kResponders));
    int kind = static_cast<int>(sim->random().below(3));
    if (kind == 2 && !sim->fault("ask " + std::to_string(id) + " fails its handler")) kind = 0;
    const Duration delay = sim->random().duration(0ms, 3ms);
    std::optional<Duration> timeout;
    if (sim->random().chance(1, 2)) timeout = sim->random().duration(1us, 4ms);
    if (sim->random().chance(1, 16) && sim->fault("stop responder " + std::to_string(target))) {
      (*rs)[target].stop();
    }
    if (sim->random().chance(1, 3)) {
      // Concurrently: the next ask goes out before this one ends.
      troupe::spawn(ask_one(l, id, (*rs)[target], kind, delay, timeout)).detach();
    } else {
      co_await ask_one(l, id, (*rs)[target], kind, delay, timeout);
    }
  }
}

Task<void> ask_all(SimContext* sim, Ledger* l, std::vector<ActorRef<Responder>>* rs) {
  std::vector<troupe::JoinHandle<void>> askers;
  for (int a = 0; a < kAskers; ++a)
    askers.push_back(troupe::spawn(asker(sim, l, rs, a * kAsksEach)));
  for (auto& a : askers) co_await a;
}

int g_timeouts = 0;  // coverage over a test's seeds
int g_dead = 0;

void scenario(SimContext& sim) {
  Ledger l;
  ActorSystem system(sim.scheduler(),
                     {.top_level = SupervisorStrategy::one_for_one(1000, std::chrono::hours(1)),
                      .log = sim.log_to_trace()});
  std::vector<ActorRef<Responder>> responders;
  for (int i = 0; i < kResponders; ++i) responders.push_back(system.spawn<Responder>(&l));
  sim.invariant("no ask ends twice, no handler replies twice", [&] {
    for (int i = 0; i < kAsks; ++i) {
      if (l.ended[i] > 1 || l.handled[i] > 1 || l.threw[i] > 1) return false;
    }
    return l.wrong.empty();
  });
  sim.scheduler().block_on(ask_all(&sim, &l, &responders));
  sim.scheduler().run(1'000'000);  // the detached asks end too
  for (int i = 0; i < kAsks; ++i) {
    sim.check(l.ended[i] == 1,
              "ask " + std::to_string(i) + " ended " + std::to_string(l.ended[i]) + " times");
  }
  sim.check(l.wrong.empty(), l.wrong);
  g_timeouts += l.timeouts;
  g_dead += l.dead;
}

TEST(SimAsk, EveryAskIsAnsweredOrFailsExactlyOnce) {
  g_timeouts = g_dead = 0;
  const troupe::SimReport r = troupe::simulate(scenario);
  if (!r.failure && r.runs >= 200) {
    EXPECT_GT(g_timeouts, 0) << "no ask timed out";
    EXPECT_GT(g_dead, 0) << "no ask found its actor dead";
  }
}

}  // namespace sim_ask_test
