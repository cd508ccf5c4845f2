// Supervision under a seeded schedule: children fail at random points
// (injected faults) while siblings are stopped; restarts stay within the
// strategy's limit, escalation happens exactly when a child passes it, and
// every instance's on_stop runs once.

#include <chrono>
#include <cstddef>
#include <exception>
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

namespace sim_supervision_test {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::ExitReason;
using troupe::SimContext;
using troupe::SupervisorStrategy;
using troupe::Task;

constexpr int kCrashers = 3;  // children that fail
constexpr int kStoppers = 2;  // children that are stopped from outside
constexpr int kChildren = kCrashers + kStoppers;
constexpr std::size_t kMaxRestarts = 2;

/// What the actors did, per child (and the supervisor at index kChildren).
struct Tally {
  int starts[kChildren + 1] = {};
  int stops[kChildren + 1] = {};
  int failures[kChildren] = {};
  int work[kChildren] = {};
  bool supervisor_failed = false;
  bool stopped_before_parent = true;
};

// The trace's notes (sim->note) name what the actors did; set per run.
SimContext* g_sim = nullptr;
void note(const std::string& what) {
  if (g_sim) g_sim->note(what);
}

struct Work {};
struct Crash {};

struct Child : troupe::Actor<Child> {
  Child(Tally* t, int index) : tally(t), index(index) {}
  void on_start() {
    ++tally->starts[index];
    note("child " + std::to_string(index) + " start");
  }
  void on_stop(const ExitReason& r) {
    ++tally->stops[index];
    note("child " + std::to_string(index) + " stop: " + r.describe());
  }
  void handle(Work) { ++tally->work[index]; }
  void handle(Crash) {
    ++tally->failures[index];
    note("child " + std::to_string(index) + " fails");
    throw std::runtime_error("child " + std::to_string(index) + " crashed");
  }
  Tally* tally;
  int index;
};

struct Children {
  std::vector<ActorRef<Child>> refs;
};

template <bool kAllForOne>
struct Supervisor : troupe::Actor<Supervisor<kAllForOne>> {
  Supervisor(Tally* t, Children* c) : tally(t), children(c) {}
  static SupervisorStrategy supervisor_strategy() {
    // A window far longer than a run: the limit is a count.
    return kAllForOne ? SupervisorStrategy::all_for_one(kMaxRestarts, std::chrono::hours(10))
                      : SupervisorStrategy::one_for_one(kMaxRestarts, std::chrono::hours(10));
  }
  void on_start() {
    ++tally->starts[kChildren];
    children->refs.clear();
    for (int i = 0; i < kChildren; ++i)
      children->refs.push_back(this->template spawn<Child>(tally, i));
  }
  void on_stop(const ExitReason& r) {
    ++tally->stops[kChildren];
    tally->supervisor_failed = r.kind() == ExitReason::Kind::kFailed;
    for (int i = 0; i < kChildren; ++i) {
      if (tally->stops[i] != tally->starts[i]) tally->stopped_before_parent = false;
    }
  }
  Tally* tally;
  Children* children;
};

// One of two drivers: tells the children work, crashes (while the fault
// budget lasts) and stops, with random pauses.
Task<void> drive(SimContext* sim, Children* c, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    const int target = static_cast<int>(sim->random().index(kChildren));
    const auto action = sim->random().below(10);
    if (action < 2 && target < kCrashers) {
      if (sim->fault("crash child " + std::to_string(target))) c->refs[target].tell(Crash{});
    } else if (action == 2 && target >= kCrashers) {
      sim->note("stop child " + std::to_string(target));
      if (sim->random().chance(1, 2)) {
        c->refs[target].stop();
      } else {
        c->refs[target].stop_gracefully();
      }
    } else {
      c->refs[target].tell(Work{});
    }
    if (sim->random().chance(1, 3)) {
      const auto pause = sim->random().duration(0ms, 5ms);
      co_await troupe::sleep_for(pause);
    }
  }
}

Task<void> drive_all(SimContext* sim, Children* c) {
  auto a = troupe::spawn(drive(sim, c, 30));
  auto b = troupe::spawn(drive(sim, c, 30));
  co_await a;
  co_await b;
}

/// How often each case came up over a test's seeds: a simulation that
/// never reaches a case checks nothing about it.
struct Coverage {
  int runs = 0;
  int escalations = 0;
};
Coverage g_coverage;

template <bool kAllForOne>
void scenario(SimContext& sim) {
  g_sim = &sim;
  Tally t;
  Children children;
  {
    ActorSystem system(sim.scheduler(), {.log = sim.log_to_trace()});
    auto sup = system.spawn<Supervisor<kAllForOne>>(&t, &children);
    sim.name(sup, "supervisor");
    sim.invariant("no instance stops twice", [&] {
      for (int i = 0; i <= kChildren; ++i) {
        if (t.stops[i] > t.starts[i]) return false;
      }
      return true;
    });
    sim.scheduler().run_until_idle();  // the children exist
    for (int i = 0; i < kChildren; ++i) sim.name(children.refs[i], "child " + std::to_string(i));
    sim.scheduler().block_on(drive_all(&sim, &children));
    sim.scheduler().run(1'000'000);  // everything queued is handled: quiescent

    int total_failures = 0;
    bool over_limit = false;
    for (int i = 0; i < kCrashers; ++i) {
      total_failures += t.failures[i];
      if (t.failures[i] > static_cast<int>(kMaxRestarts)) over_limit = true;
    }
    const bool escalated = t.supervisor_failed;
    ++g_coverage.runs;
    if (escalated) ++g_coverage.escalations;
    if (kAllForOne) {
      // Failures that one restart of the group answers count once (a child
      // that failed before the restart ordered for a sibling reached it),
      // so the failures bound the restarts from above only.
      sim.check(!escalated || total_failures > static_cast<int>(kMaxRestarts),
                "the supervisor escalated within its restart limit");
    } else {
      sim.check(escalated == over_limit,
                escalated ? "the supervisor escalated within its restart limit"
                          : "a child passed the restart limit without an escalation");
    }
    if (escalated) {
      sim.check(system.live_actors() == 0, "an escalation left actors alive");
      sim.check(t.stopped_before_parent, "the supervisor stopped before its children");
    } else {
      for (int i = 0; i < kCrashers; ++i) {
        const int restarts = t.starts[i] - 1;
        // One-for-one: one restart per failure. All-for-one: at least one
        // if it failed, at most the limit (each restart of the group
        // counts once, and restarts that reach a child before it has
        // started again coalesce).
        const bool ok = kAllForOne ? (t.failures[i] == 0 || restarts >= 1) &&
                                         restarts <= static_cast<int>(kMaxRestarts) &&
                                         restarts <= total_failures
                                   : restarts == t.failures[i];
        sim.check(ok, "child " + std::to_string(i) + " restarted " + std::to_string(restarts) +
                          " times for " + std::to_string(t.failures[i]) + " failures (" +
                          std::to_string(total_failures) + " in the group)");
        // Not left suspended: a failure that a restart answers is not
        // dropped with the child waiting for a decision.
        const int work_before = t.work[i];
        children.refs[i].tell(Work{});
        sim.scheduler().run(1'000'000);
        sim.check(t.work[i] == work_before + 1,
                  "child " + std::to_string(i) + " does not take messages after its failures");
      }
      for (int i = kCrashers; i < kChildren; ++i) {
        sim.check(t.starts[i] <= 1 + (kAllForOne ? total_failures : 0),
                  "a stopped child restarted more than the failures explain");
      }
    }
    system.shutdown();
    sim.check(system.live_actors() == 0, "actors alive after shutdown");
  }
  g_sim = nullptr;
  for (int i = 0; i <= kChildren; ++i) {
    sim.check(t.starts[i] == t.stops[i], "actor " + std::to_string(i) + " started " +
                                             std::to_string(t.starts[i]) + " times, stopped " +
                                             std::to_string(t.stops[i]));
  }
}

void expect_both_outcomes(const troupe::SimReport& r) {
  if (r.failure || r.runs < 200) return;
  EXPECT_GT(g_coverage.escalations, 0) << "no seed escalated";
  EXPECT_LT(g_coverage.escalations, g_coverage.runs) << "every seed escalated";
}

TEST(SimSupervision, OneForOneRestartsWithinTheLimitAndEscalatesPastIt) {
  g_coverage = {};
  expect_both_outcomes(troupe::simulate([](SimContext& sim) { scenario<false>(sim); }));
}

TEST(SimSupervision, AllForOneRestartsTheGroupWithinItsLimitAndNoChildStaysSuspended) {
  g_coverage = {};
  expect_both_outcomes(troupe::simulate([](SimContext& sim) { scenario<true>(sim); }));
}

// A restart racing a stop: the same children fail and are stopped, at
// random points; a stop always wins (the child ends up gone, whatever
// restart was pending), the others stay up, and each instance's on_stop
// runs once.
struct Lenient {
  bool stopped[kChildren] = {};
};

struct LenientSupervisor : troupe::Actor<LenientSupervisor> {
  LenientSupervisor(Tally* t, Children* c) : tally(t), children(c) {}
  static SupervisorStrategy supervisor_strategy() {
    return SupervisorStrategy::one_for_one(1000, std::chrono::hours(10));
  }
  void on_start() {
    ++tally->starts[kChildren];
    for (int i = 0; i < kChildren; ++i) children->refs.push_back(this->spawn<Child>(tally, i));
  }
  void on_stop(const ExitReason&) { ++tally->stops[kChildren]; }
  Tally* tally;
  Children* children;
};

Task<void> drive_racing(SimContext* sim, Children* c, Lenient* l, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    const int target = static_cast<int>(sim->random().index(kChildren));
    const auto action = sim->random().below(10);
    if (action < 3) {
      if (sim->fault("crash child " + std::to_string(target))) c->refs[target].tell(Crash{});
    } else if (action == 3 && sim->random().chance(1, 3)) {
      if (sim->fault("stop child " + std::to_string(target))) {
        l->stopped[target] = true;
        c->refs[target].stop();
      }
    } else {
      c->refs[target].tell(Work{});
    }
    if (sim->random().chance(1, 3)) co_await troupe::sleep_for(1ms);
  }
}

Task<void> drive_racing_all(SimContext* sim, Children* c, Lenient* l) {
  auto a = troupe::spawn(drive_racing(sim, c, l, 30));
  auto b = troupe::spawn(drive_racing(sim, c, l, 30));
  co_await a;
  co_await b;
}

void racing_scenario(SimContext& sim) {
  g_sim = &sim;
  Tally t;
  Children children;
  Lenient lenient;
  {
    ActorSystem system(sim.scheduler(), {.log = sim.log_to_trace()});
    system.spawn<LenientSupervisor>(&t, &children);
    sim.invariant("no instance stops twice", [&] {
      for (int i = 0; i <= kChildren; ++i) {
        if (t.stops[i] > t.starts[i]) return false;
      }
      return true;
    });
    sim.scheduler().run_until_idle();
    sim.scheduler().block_on(drive_racing_all(&sim, &children, &lenient));
    sim.scheduler().run(1'000'000);
    for (int i = 0; i < kChildren; ++i) {
      const bool dead = children.refs[i].tell(Work{}) == troupe::TellStatus::kDeadActor;
      sim.check(dead == lenient.stopped[i],
                "child " + std::to_string(i) +
                    (dead ? " is gone though never stopped" : " is alive though stopped"));
      sim.check(t.starts[i] - 1 <= t.failures[i],
                "child " + std::to_string(i) + " restarted more than it failed");
    }
    system.shutdown();
    children.refs.clear();
  }
  g_sim = nullptr;
  for (int i = 0; i <= kChildren; ++i) {
    sim.check(t.starts[i] == t.stops[i], "actor " + std::to_string(i) + " started " +
                                             std::to_string(t.starts[i]) + " times, stopped " +
                                             std::to_string(t.stops[i]));
  }
}

TEST(SimSupervision, AStopWinsOverTheRestartItRaces) { troupe::simulate(racing_scenario); }

}  // namespace sim_supervision_test
