#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <numeric>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::Clock;
using troupe::Duration;
using troupe::Instant;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::kT0;
using troupe::test::LifeCounter;
using troupe::test::Tracked;

Task<void> sleep_for_task(Duration d) { co_await troupe::sleep_for(d); }

TEST(Sleep, ResumesOnlyAfterTheVirtualClockPassesTheDeadline) {
  TestExecutor ex;
  auto h = ex.spawn(sleep_for_task(10s));
  ex.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  ex.advance(9s);
  ex.run_until_idle();
  EXPECT_FALSE(h.is_finished()) << "one second early";
  ex.advance(1s);
  ex.run_until_idle();
  EXPECT_TRUE(h.is_finished());
}

Task<void> zero_and_negative_sleeps() {
  co_await troupe::sleep_for(0s);
  co_await troupe::sleep_for(-5s);
  co_await troupe::sleep_until(kT0);
  co_await troupe::sleep_until(kT0 - 1h);
}

TEST(Sleep, ZeroNegativeAndPastDeadlinesCompleteWithoutSuspending) {
  TestExecutor ex;
  auto h = ex.spawn(zero_and_negative_sleeps());
  EXPECT_EQ(ex.run_until_idle(), 1u) << "a single poll, no suspension";
  EXPECT_TRUE(h.is_finished());
  EXPECT_EQ(ex.pending_timers(), 0u) << "nothing was armed";
}

TEST(Sleep, RelativeDurationIsMeasuredFromTheFirstPoll) {
  TestExecutor ex;
  auto h = ex.spawn(sleep_for_task(10s));
  ex.advance(5s);  // before the task first runs
  ex.run_until_idle();
  EXPECT_EQ(ex.next_timer(), kT0 + 15s);
  ex.advance(9s);
  ex.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  ex.advance(1s);
  ex.run_until_idle();
  EXPECT_TRUE(h.is_finished());
}

TEST(Sleep, DeadlineIsKnownOnlyAfterTheFirstPollForARelativeSleep) {
  auto relative = troupe::sleep_for(1s);
  EXPECT_FALSE(relative.deadline().has_value());
  auto absolute = troupe::sleep_until(kT0 + 3s);
  EXPECT_EQ(absolute.deadline(), kT0 + 3s);
  EXPECT_FALSE(absolute.is_elapsed());
}

Task<void> sleep_until_then_record(Instant deadline, std::size_t id,
                                   std::vector<std::size_t>& order) {
  co_await troupe::sleep_until(deadline);
  order.push_back(id);
}

TEST(Sleep, ManyTimersFireInDeadlineOrder) {
  TestExecutor ex;
  constexpr std::size_t kN = 200;
  // Deadlines in a scrambled order (37 is coprime with 200).
  std::vector<std::size_t> order;
  std::vector<troupe::JoinHandle<void>> handles;
  for (std::size_t i = 0; i < kN; ++i) {
    const std::size_t slot = (i * 37) % kN;
    handles.push_back(ex.spawn(
        sleep_until_then_record(kT0 + std::chrono::milliseconds(10 * (slot + 1)), slot, order)));
  }
  ex.run_until_idle();
  ASSERT_EQ(ex.pending_timers(), kN);
  ex.advance(1h);  // all due at once
  ex.run_until_idle();
  std::vector<std::size_t> want(kN);
  std::iota(want.begin(), want.end(), std::size_t{0});
  EXPECT_EQ(order, want);
}

TEST(Sleep, TimersWakeOnlyTheTasksWhoseDeadlinePassed) {
  TestExecutor ex;
  std::vector<std::size_t> order;
  auto late = ex.spawn(sleep_until_then_record(kT0 + 3s, 3, order));
  auto early = ex.spawn(sleep_until_then_record(kT0 + 1s, 1, order));
  auto middle = ex.spawn(sleep_until_then_record(kT0 + 2s, 2, order));
  ex.run_until_idle();
  ex.advance(2s);
  EXPECT_EQ(ex.ready_tasks(), 2u);
  ex.run_until_idle();
  EXPECT_EQ(order, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(ex.pending_timers(), 1u);
  EXPECT_EQ(ex.next_timer(), kT0 + 3s);
}

Task<void> sleep_holding(Tracked probe, Duration d) {
  co_await troupe::sleep_for(d);
  (void)probe;
}

TEST(Sleep, CancellingASleepingTaskDisarmsItsTimer) {
  LifeCounter c;
  TestExecutor ex;
  auto h = ex.spawn(sleep_holding(Tracked(c), 1h));
  auto other = ex.spawn(sleep_holding(Tracked(c), 2h));
  ex.run_until_idle();
  ASSERT_EQ(ex.pending_timers(), 2u);
  h.cancel();
  ex.run_until_idle();
  EXPECT_EQ(ex.pending_timers(), 1u);
  EXPECT_EQ(ex.next_timer(), kT0 + 2h) << "the other timer is untouched";
  EXPECT_EQ(c.live(), 1);
  ASSERT_TRUE(h.is_finished());
  EXPECT_THROW(h.wait(), troupe::TaskCancelled);
}

TEST(Sleep, DurationMaxSaturatesToTheEndOfTimeInsteadOfOverflowing) {
  TestExecutor ex;
  auto h = ex.spawn(sleep_for_task(Duration::max()));
  ex.run_until_idle();
  EXPECT_EQ(ex.next_timer(), Instant::max());
  ex.advance(24h * 365 * 100);
  ex.run_until_idle();
  EXPECT_FALSE(h.is_finished());
}

// A Future that is always ready: lets a test poll a Sleep once through
// select (which arms it) without suspending on it.
struct ReadyNow {
  bool poll(troupe::Context&) noexcept { return true; }
  void await_resume() const noexcept {}
};

Task<Instant> arm_move_then_await(TestExecutor& ex, LifeCounter& c) {
  Tracked probe(c);
  troupe::Sleep first = troupe::sleep_for(5s);
  ReadyNow now;
  const auto won = co_await troupe::select(first, now);
  EXPECT_EQ(won.index(), 1u);
  EXPECT_EQ(ex.pending_timers(), 1u) << "polling armed it";
  troupe::Sleep second = std::move(first);
  EXPECT_EQ(ex.pending_timers(), 1u) << "the timer moved with the sleep";
  EXPECT_EQ(second.deadline(), kT0 + 5s);
  co_await second;
  co_return ex.now();
}

TEST(Sleep, MovingAnArmedSleepMovesItsTimer) {
  LifeCounter c;
  TestExecutor ex;
  auto h = ex.spawn(arm_move_then_await(ex, c));
  ex.run_until_idle();
  EXPECT_EQ(ex.pending_timers(), 1u);
  ex.advance(5s);
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), kT0 + 5s);
  EXPECT_EQ(ex.pending_timers(), 0u);
}

Task<std::vector<Instant>> sleep_then_reset(TestExecutor& ex) {
  std::vector<Instant> seen;
  troupe::Sleep s = troupe::sleep_until(kT0 + 1s);
  co_await s;
  seen.push_back(ex.now());
  EXPECT_TRUE(s.is_elapsed());
  s.reset(ex.now() + 3s);
  EXPECT_FALSE(s.is_elapsed());
  co_await s;
  seen.push_back(ex.now());
  co_return seen;
}

TEST(Sleep, ResetGivesAnElapsedSleepANewDeadline) {
  TestExecutor ex;
  auto h = ex.spawn(sleep_then_reset(ex));
  ex.advance_and_run(10s);
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), (std::vector<Instant>{kT0 + 1s, kT0 + 4s}));
}

Task<Instant> reset_while_armed(TestExecutor& ex) {
  troupe::Sleep s = troupe::sleep_until(kT0 + 10s);
  ReadyNow now;
  (void)co_await troupe::select(s, now);  // arms it for 10s
  s.reset(kT0 + 2s);
  EXPECT_EQ(ex.pending_timers(), 0u) << "reset removes the old registration";
  co_await s;
  co_return ex.now();
}

TEST(Sleep, ResetOfAnArmedSleepReplacesItsTimer) {
  TestExecutor ex;
  auto h = ex.spawn(reset_while_armed(ex));
  ex.run_until_idle();
  EXPECT_EQ(ex.next_timer(), kT0 + 2s);
  EXPECT_EQ(ex.pending_timers(), 1u);
  ex.advance_and_run(1h);
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), kT0 + 2s);
  EXPECT_EQ(ex.pending_timers(), 0u);
}

// --- On the real Runtime: assertions on ordering and completion only. ---

Task<bool> sleep_and_check_not_early(Duration d) {
  const Instant start = Clock::now();
  co_await troupe::sleep_for(d);
  co_return Clock::now() - start >= d;
}

TEST(Sleep, OnTheRuntimeAThousandConcurrentSleepersAllCompleteAndNoneWakesEarly) {
  troupe::Runtime rt({.workers = 2});
  std::vector<troupe::JoinHandle<bool>> handles;
  for (int i = 0; i < 1000; ++i) {
    handles.push_back(rt.spawn(sleep_and_check_not_early(std::chrono::milliseconds(1 + i % 5))));
  }
  int early = 0;
  for (auto& h : handles) early += h.wait() ? 0 : 1;
  EXPECT_EQ(early, 0);
  EXPECT_EQ(rt.scheduler().timers().size(), 0u);
}

Task<void> sleep_until_and_count(Instant deadline, std::atomic<int>& early) {
  co_await troupe::sleep_until(deadline);
  if (Clock::now() < deadline) early.fetch_add(1);
}

TEST(Sleep, OnTheRuntimeTenThousandTimersAllFireAndNoneBeforeItsDeadline) {
  troupe::Runtime rt({.workers = 2});
  std::atomic<int> early{0};
  const Instant base = Clock::now() + 2ms;
  std::vector<troupe::JoinHandle<void>> handles;
  handles.reserve(10'000);
  for (int i = 0; i < 10'000; ++i) {
    // 100 distinct deadlines, 100 timers on each.
    handles.push_back(
        rt.spawn(sleep_until_and_count(base + std::chrono::microseconds(50 * (i % 100)), early)));
  }
  for (auto& h : handles) h.wait();
  EXPECT_EQ(early.load(), 0);
  EXPECT_EQ(rt.scheduler().timers().size(), 0u);
}

TEST(Sleep, OnTheRuntimeCancellingSleepersEmptiesTheTimerQueue) {
  troupe::Runtime rt({.workers = 2});
  LifeCounter c;
  std::vector<troupe::JoinHandle<void>> handles;
  for (int i = 0; i < 1000; ++i) handles.push_back(rt.spawn(sleep_holding(Tracked(c), 1h)));
  for (auto& h : handles) h.cancel();
  for (auto& h : handles) EXPECT_THROW(h.wait(), troupe::TaskCancelled);
  EXPECT_EQ(c.live(), 0);
  EXPECT_EQ(rt.scheduler().timers().size(), 0u);
}

}  // namespace
