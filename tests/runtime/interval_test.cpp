#include <chrono>
#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/interval.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::Duration;
using troupe::Instant;
using troupe::Interval;
using troupe::MissedTickBehavior;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::kT0;

// What a tick returned and when the task observed it.
struct Seen {
  Instant tick;
  Instant at;
  friend bool operator==(const Seen&, const Seen&) = default;
};

void PrintTo(const Seen& s, std::ostream* os) {
  *os << "{tick=" << (s.tick - kT0).count() << "ns, at=" << (s.at - kT0).count() << "ns}";
}

Task<std::vector<Seen>> collect_ticks(Interval iv, int n, TestExecutor& ex) {
  std::vector<Seen> seen;
  for (int i = 0; i < n; ++i) {
    const Instant t = co_await iv.tick();
    seen.push_back({t, ex.now()});
  }
  co_return seen;
}

TEST(Interval, FirstTickCompletesAtOnceAndTheNextOnesOncePerPeriod) {
  TestExecutor ex;
  auto h = ex.spawn(collect_ticks(troupe::interval(2s), 4, ex));
  ex.run_until_idle();
  ASSERT_FALSE(h.is_finished());
  EXPECT_EQ(ex.next_timer(), kT0 + 2s) << "the first tick did not wait";
  ex.advance_and_run(2s - 1ns);
  EXPECT_EQ(ex.next_timer(), kT0 + 2s) << "the second tick has not fired early";
  ex.advance_and_run(1ns + 4s);
  ASSERT_TRUE(h.is_finished());
  const std::vector<Seen> want = {
      {kT0, kT0}, {kT0 + 2s, kT0 + 2s}, {kT0 + 4s, kT0 + 4s}, {kT0 + 6s, kT0 + 6s}};
  EXPECT_EQ(h.wait(), want);
}

TEST(Interval, IntervalAtFirstTicksAtTheGivenStart) {
  TestExecutor ex;
  auto h = ex.spawn(collect_ticks(troupe::interval_at(kT0 + 5s, 1s), 2, ex));
  ex.run_until_idle();
  EXPECT_EQ(ex.next_timer(), kT0 + 5s);
  ex.advance_and_run(10s);
  ASSERT_TRUE(h.is_finished());
  const std::vector<Seen> want = {{kT0 + 5s, kT0 + 5s}, {kT0 + 6s, kT0 + 6s}};
  EXPECT_EQ(h.wait(), want);
}

// Ticks once, is busy for `busy` (so ticks are missed), then ticks n more
// times.
Task<std::vector<Seen>> tick_be_busy_tick(MissedTickBehavior b, Duration busy, int n,
                                          TestExecutor& ex) {
  Interval iv = troupe::interval(1s);
  iv.set_missed_tick_behavior(b);
  std::vector<Seen> seen;
  seen.push_back({co_await iv.tick(), ex.now()});
  co_await troupe::sleep_for(busy);
  for (int i = 0; i < n; ++i) seen.push_back({co_await iv.tick(), ex.now()});
  co_return seen;
}

TEST(Interval, MissedTicksBurstByDefault) {
  EXPECT_EQ(troupe::interval(1s).missed_tick_behavior(), MissedTickBehavior::kBurst);
  TestExecutor ex;
  auto h = ex.spawn(tick_be_busy_tick(MissedTickBehavior::kBurst, 3500ms, 5, ex));
  ex.advance_and_run(10s);
  ASSERT_TRUE(h.is_finished());
  // The three missed ticks come back to back at 3.5s, then the schedule holds.
  const std::vector<Seen> want = {{kT0, kT0},
                                  {kT0 + 1s, kT0 + 3500ms},
                                  {kT0 + 2s, kT0 + 3500ms},
                                  {kT0 + 3s, kT0 + 3500ms},
                                  {kT0 + 4s, kT0 + 4s},
                                  {kT0 + 5s, kT0 + 5s}};
  EXPECT_EQ(h.wait(), want);
}

TEST(Interval, SkipDropsMissedTicksAndKeepsTheOriginalSchedule) {
  TestExecutor ex;
  auto h = ex.spawn(tick_be_busy_tick(MissedTickBehavior::kSkip, 3500ms, 3, ex));
  ex.advance_and_run(10s);
  ASSERT_TRUE(h.is_finished());
  // One late tick (the first missed one), then the next multiples of the
  // period after 3.5s.
  const std::vector<Seen> want = {
      {kT0, kT0}, {kT0 + 1s, kT0 + 3500ms}, {kT0 + 4s, kT0 + 4s}, {kT0 + 5s, kT0 + 5s}};
  EXPECT_EQ(h.wait(), want);
}

TEST(Interval, DelayRestartsTheScheduleAfterALateTick) {
  TestExecutor ex;
  auto h = ex.spawn(tick_be_busy_tick(MissedTickBehavior::kDelay, 3500ms, 3, ex));
  ex.advance_and_run(10s);
  ASSERT_TRUE(h.is_finished());
  const std::vector<Seen> want = {{kT0, kT0},
                                  {kT0 + 1s, kT0 + 3500ms},
                                  {kT0 + 4500ms, kT0 + 4500ms},
                                  {kT0 + 5500ms, kT0 + 5500ms}};
  EXPECT_EQ(h.wait(), want);
}

TEST(Interval, AllBehavioursAgreeWhenNoTickIsMissed) {
  for (auto b :
       {MissedTickBehavior::kBurst, MissedTickBehavior::kDelay, MissedTickBehavior::kSkip}) {
    TestExecutor ex;
    auto h = ex.spawn(tick_be_busy_tick(b, 500ms, 2, ex));
    ex.advance_and_run(10s);
    ASSERT_TRUE(h.is_finished());
    const std::vector<Seen> want = {{kT0, kT0}, {kT0 + 1s, kT0 + 1s}, {kT0 + 2s, kT0 + 2s}};
    EXPECT_EQ(h.wait(), want) << "behaviour " << static_cast<int>(b);
  }
}

Task<std::vector<Seen>> tick_reset_tick(TestExecutor& ex) {
  Interval iv = troupe::interval(2s);
  std::vector<Seen> seen;
  seen.push_back({co_await iv.tick(), ex.now()});
  seen.push_back({co_await iv.tick(), ex.now()});
  co_await troupe::sleep_for(500ms);
  iv.reset();
  seen.push_back({co_await iv.tick(), ex.now()});
  co_return seen;
}

TEST(Interval, ResetStartsTheScheduleAgainOnePeriodAfterTheNextPoll) {
  TestExecutor ex;
  auto h = ex.spawn(tick_reset_tick(ex));
  ex.advance_and_run(10s);
  ASSERT_TRUE(h.is_finished());
  const std::vector<Seen> want = {{kT0, kT0}, {kT0 + 2s, kT0 + 2s}, {kT0 + 4500ms, kT0 + 4500ms}};
  EXPECT_EQ(h.wait(), want);
}

TEST(Interval, RejectsANonPositivePeriod) {
  EXPECT_THROW(troupe::interval(0s), std::invalid_argument);
  EXPECT_THROW(troupe::interval(-1s), std::invalid_argument);
  EXPECT_THROW(troupe::interval_at(kT0, 0s), std::invalid_argument);
}

Task<Instant> one_tick(Interval& iv) { co_return co_await iv.tick(); }

TEST(Interval, CancellingATaskWaitingForATickDisarmsTheTimerAndKeepsTheSchedule) {
  TestExecutor ex;
  Interval iv = troupe::interval_at(kT0 + 1s, 1s);  // shared by two tasks in turn
  auto first = ex.spawn(one_tick(iv));
  ex.run_until_idle();
  ASSERT_EQ(ex.pending_timers(), 1u);
  first.cancel();
  ex.run_until_idle();
  EXPECT_EQ(ex.pending_timers(), 0u) << "the pending tick() future disarmed it";
  auto second = ex.spawn(one_tick(iv));
  ex.run_until_idle();
  EXPECT_EQ(ex.next_timer(), kT0 + 1s) << "the tick the first task missed is still next";
  ex.advance_and_run(1s);
  ASSERT_TRUE(second.is_finished());
  EXPECT_EQ(second.wait(), kT0 + 1s);
}

Task<std::vector<Instant>> tick_move_tick(TestExecutor& ex) {
  Interval a = troupe::interval(1s);
  std::vector<Instant> ticks;
  ticks.push_back(co_await a.tick());
  ticks.push_back(co_await a.tick());
  Interval b = std::move(a);
  ticks.push_back(co_await b.tick());
  (void)ex;
  co_return ticks;
}

TEST(Interval, AMovedIntervalKeepsItsSchedule) {
  TestExecutor ex;
  auto h = ex.spawn(tick_move_tick(ex));
  ex.advance_and_run(5s);
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), (std::vector<Instant>{kT0, kT0 + 1s, kT0 + 2s}));
}

// --- On the real Runtime: ordering only. ---

struct ObservedTick {
  Instant tick;      // what the interval said
  Instant observed;  // the real clock when the task resumed with it
};

Task<std::vector<ObservedTick>> real_ticks(int n) {
  Interval iv = troupe::interval(1ms);
  std::vector<ObservedTick> ticks;
  for (int i = 0; i < n; ++i) {
    const Instant tick = co_await iv.tick();
    ticks.push_back({tick, troupe::Clock::now()});
  }
  co_return ticks;
}

TEST(Interval, OnTheRuntimeTicksAreOnePeriodApartAndNeverObservedEarly) {
  troupe::Runtime rt({.workers = 2});
  const Instant before = troupe::Clock::now();
  const auto ticks = rt.block_on(real_ticks(20));
  ASSERT_EQ(ticks.size(), 20u);
  // The first tick is at the first poll, which comes after `before`.
  EXPECT_GE(ticks.front().tick, before);
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    // Checked against the real clock, not the interval's own arithmetic:
    // a tick is never seen before its Instant.
    EXPECT_GE(ticks[i].observed, ticks[i].tick) << "tick " << i << " was observed early";
    if (i > 0) {
      EXPECT_EQ(ticks[i].tick - ticks[i - 1].tick, 1ms) << "tick " << i;
    }
  }
  // 20 ticks, 1 ms apart: at least 19 ms of real time went by.
  EXPECT_GE(ticks.back().observed - before, 19ms);
}

}  // namespace
