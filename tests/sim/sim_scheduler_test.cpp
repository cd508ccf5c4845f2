// The simulation scheduler and runner on plain tasks: seeded schedules,
// virtual time, traces that replay, the failure report and shrinking.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/yield.hpp>
#include <troupe/sim/gtest.hpp>
#include <troupe/sim/sim_random.hpp>
#include <troupe/sim/simulation.hpp>

namespace sim_scheduler_test {

using namespace std::chrono_literals;
using troupe::SimContext;
using troupe::SimScheduler;
using troupe::Task;

Task<void> append_after_yields(std::vector<int>* out, int who, int yields) {
  for (int i = 0; i < yields; ++i) co_await troupe::yield_now();
  out->push_back(who);
}

std::vector<int> order_for(std::uint64_t seed) {
  SimScheduler s(seed);
  std::vector<int> out;
  for (int i = 0; i < 8; ++i) s.spawn(append_after_yields(&out, i, i % 3)).detach();
  s.run(1000);
  return out;
}

// Seeds printed by failing runs must replay on any machine, with any
// standard library: the generator is fixed, number for number.
TEST(SimRandom, GivesTheSameNumbersForASeedEverywhere) {
  troupe::SimRandom r(42);
  EXPECT_EQ(r.next(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(r.next(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(r.next(), 0xae17533239e499a1ULL);
  EXPECT_EQ(r.below(10), 3u);
  EXPECT_EQ(r.below(1000000007), 996447533u);
  for (int i = 0; i < 1000; ++i) {
    const auto v = r.between(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
  }
}

TEST(SimScheduler, ASeedDecidesTheOrderAndReplaysIt) {
  EXPECT_EQ(order_for(7), order_for(7));
  bool differs = false;
  for (std::uint64_t seed = 1; seed < 20 && !differs; ++seed)
    differs = order_for(seed) != order_for(0);
  EXPECT_TRUE(differs) << "20 seeds gave one order: the schedule is not random";
}

TEST(SimScheduler, TheClockJumpsToTheNextTimerWhenIdle) {
  SimScheduler s(3);
  auto got = s.block_on([](SimScheduler* sched) -> Task<std::int64_t> {
    const auto before = sched->now();
    co_await troupe::sleep_for(10s);
    co_return std::chrono::duration_cast<std::chrono::seconds>(sched->now() - before).count();
  }(&s));
  EXPECT_EQ(got, 10);
  EXPECT_EQ(s.elapsed(), 10s);
}

TEST(SimScheduler, TimersFireLateWithinTheBound) {
  troupe::SimSchedulerOptions o;
  o.max_timer_delay = 5ms;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    SimScheduler s(seed, o);
    s.block_on([]() -> Task<void> { co_await troupe::sleep_for(1s); }());
    EXPECT_GE(s.elapsed(), 1s);
    EXPECT_LE(s.elapsed(), 1s + 5ms);
  }
}

TEST(SimScheduler, TheTraceHashIsTheSameForTheSameSeed) {
  auto hash = [](std::uint64_t seed) {
    SimScheduler s(seed);
    std::vector<int> out;
    for (int i = 0; i < 5; ++i) s.spawn(append_after_yields(&out, i, 2)).detach();
    s.run(1000);
    return s.trace().hash();
  };
  EXPECT_EQ(hash(11), hash(11));
  EXPECT_NE(hash(11), hash(12));
}

TEST(SimulationRunner, AFailureReportsTheSeedTheStepAndTheReplayCommand) {
  troupe::SimOptions o;
  o.runs = 200;
  o.from_environment = false;
  o.replay_command = "sim_tests --gtest_filter=X.Y";
  troupe::Simulation sim(o);
  auto body = [](SimContext& ctx) {
    std::vector<int> out;
    for (int i = 0; i < 4; ++i) ctx.scheduler().spawn(append_after_yields(&out, i, 1)).detach();
    ctx.scheduler().run(100);
    ctx.check(out.front() != 3, "3 came first");
  };
  const troupe::SimReport r = sim.run(body);
  ASSERT_TRUE(r.failure.has_value());
  const std::string text = r.describe();
  EXPECT_NE(text.find("seed " + std::to_string(r.failure->seed)), std::string::npos) << text;
  EXPECT_NE(text.find("3 came first"), std::string::npos) << text;
  EXPECT_NE(text.find("TROUPE_SIM_SEED=" + std::to_string(r.failure->seed) +
                      " sim_tests --gtest_filter=X.Y"),
            std::string::npos)
      << text;
  const troupe::SimRun again = sim.run_seed(r.failure->seed, body);
  EXPECT_TRUE(again.failed);
  EXPECT_EQ(again.trace_hash, r.failure->trace_hash);
  EXPECT_EQ(again.failure_step, r.failure->failure_step);
}

TEST(SimulationRunner, ShrinkingFindsTheSmallestFaultBudgetThatStillFails) {
  troupe::SimOptions o;
  o.runs = 50;
  o.from_environment = false;
  troupe::Simulation sim(o);
  // Fails once two faults have been injected, whatever the others.
  const troupe::SimReport r = sim.run([](SimContext& ctx) {
    int injected = 0;
    for (int i = 0; i < 6; ++i) {
      if (ctx.fault("fault " + std::to_string(i))) ++injected;
    }
    ctx.check(injected < 2, "two faults");
  });
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->seed, 1u);
  EXPECT_EQ(r.faults_at_failure, 6u);
  EXPECT_EQ(r.failure->fault_budget, 2u);
  EXPECT_NE(r.replay.find("TROUPE_SIM_FAULTS=2"), std::string::npos) << r.replay;
}

TEST(SimulationRunner, InvariantsAreCheckedAfterEveryStep) {
  troupe::SimOptions o;
  o.runs = 1;
  o.from_environment = false;
  troupe::Simulation sim(o);
  const troupe::SimReport r = sim.run([](SimContext& ctx) {
    int value = 0;
    ctx.invariant("value stays below 3", [&] { return value < 3; });
    ctx.scheduler().block_on([](int* v) -> Task<void> {
      for (int i = 0; i < 10; ++i) {
        ++*v;
        co_await troupe::yield_now();
      }
    }(&value));
  });
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->failure, "invariant broken: value stays below 3");
}

Task<void> wait_for_one(troupe::MpscReceiver<int> rx) {
  auto v = co_await rx.recv();
  (void)v;
}

TEST(SimulationRunner, ALivelockOrADeadlockFailsTheRunInsteadOfHangingIt) {
  troupe::SimOptions o;
  o.runs = 1;
  o.from_environment = false;
  o.scheduler.max_steps = 10'000;
  troupe::Simulation sim(o);
  const troupe::SimReport spinning = sim.run([](SimContext& ctx) {
    ctx.scheduler().block_on([]() -> Task<void> {
      for (;;) co_await troupe::yield_now();
    }());
  });
  ASSERT_TRUE(spinning.failure.has_value());
  EXPECT_NE(spinning.failure->failure.find("step limit"), std::string::npos)
      << spinning.failure->failure;

  const troupe::SimReport stuck = sim.run([](SimContext& ctx) {
    auto [tx, rx] = troupe::channel::mpsc::unbounded<int>();
    // Waits for a value nobody sends: nothing ready, no timer armed.
    ctx.scheduler().block_on(wait_for_one(std::move(rx)));
  });
  ASSERT_TRUE(stuck.failure.has_value());
  EXPECT_NE(stuck.failure->failure.find("deadlock"), std::string::npos) << stuck.failure->failure;
}

}  // namespace sim_scheduler_test
