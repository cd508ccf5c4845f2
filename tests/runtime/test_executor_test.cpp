#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/yield.hpp>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::Instant;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::Gate;
using troupe::test::LifeCounter;
using troupe::test::Tracked;

Task<void> append(std::string& log, char c) {
  log += c;
  co_return;
}

TEST(TestExecutor, StepRunsOneReadyTaskAtATimeInSpawnOrder) {
  TestExecutor ex;
  std::string log;
  auto a = ex.spawn(append(log, 'a'));
  auto b = ex.spawn(append(log, 'b'));
  auto c = ex.spawn(append(log, 'c'));
  EXPECT_EQ(log, "") << "spawn only queues";
  EXPECT_EQ(ex.ready_tasks(), 3u);
  ASSERT_TRUE(ex.step());
  EXPECT_EQ(log, "a");
  ASSERT_TRUE(ex.step());
  EXPECT_EQ(log, "ab");
  ASSERT_TRUE(ex.step());
  EXPECT_EQ(log, "abc");
  EXPECT_FALSE(ex.step());
  EXPECT_TRUE(a.is_finished() && b.is_finished() && c.is_finished());
}

TEST(TestExecutor, StepReturnsFalseWhenNoTaskIsReady) {
  TestExecutor ex;
  EXPECT_FALSE(ex.step());
  EXPECT_EQ(ex.run_until_idle(), 0u);
}

Task<void> log_around_yields(std::string& log, char c, int yields) {
  for (int i = 0; i < yields; ++i) {
    log += c;
    co_await troupe::yield_now();
  }
  log += c;
}

TEST(TestExecutor, RunUntilIdleAlsoRunsTasksMadeReadyMeanwhileAndCountsTheSteps) {
  TestExecutor ex;
  std::string log;
  auto h = ex.spawn(log_around_yields(log, 'x', 3));
  // One step per poll: the initial one and one after each of the 3 yields.
  EXPECT_EQ(ex.run_until_idle(), 4u);
  EXPECT_EQ(log, "xxxx");
  EXPECT_TRUE(h.is_finished());
}

Task<void> wait_then_log(Gate& gate, std::string& log, char c) {
  co_await gate;
  log += c;
}

Task<void> open_gates(Gate& first, Gate& second) {
  first.set();
  second.set();
  co_return;
}

TEST(TestExecutor, TasksRunInTheOrderTheyWereWoken) {
  TestExecutor ex;
  std::string log;
  Gate g1;
  Gate g2;
  // Spawned as (2, 1) but woken as (1, 2): the wake order decides.
  auto w2 = ex.spawn(wait_then_log(g2, log, '2'));
  auto w1 = ex.spawn(wait_then_log(g1, log, '1'));
  ex.run_until_idle();
  ASSERT_TRUE(g1.has_waiter() && g2.has_waiter());
  auto opener = ex.spawn(open_gates(g1, g2));
  ex.run_until_idle();
  EXPECT_EQ(log, "12");
}

TEST(TestExecutor, ClockStartsAtAFixedInstantAndMovesOnlyWhenAdvanced) {
  TestExecutor ex;
  EXPECT_EQ(ex.now(), TestExecutor::kStart);
  std::string log;
  auto h = ex.spawn(log_around_yields(log, 'x', 5));
  ex.run_until_idle();
  EXPECT_EQ(ex.now(), TestExecutor::kStart) << "running tasks does not move the clock";
  ex.advance(5s);
  EXPECT_EQ(ex.now(), TestExecutor::kStart + 5s);
  ex.advance_to(TestExecutor::kStart + 7s);
  EXPECT_EQ(ex.now(), TestExecutor::kStart + 7s);
  ex.advance_to(TestExecutor::kStart + 1s);
  EXPECT_EQ(ex.now(), TestExecutor::kStart + 7s) << "the clock never goes back";
  ex.advance(0s);
  EXPECT_EQ(ex.now(), TestExecutor::kStart + 7s);
}

// troupe::now() in a task reads its scheduler's clock: virtual here,
// the wall clock outside any task.
Task<Instant> now_in_a_task() { co_return troupe::now(); }

TEST(TestExecutor, NowInATaskIsTheVirtualClockAndOutsideTheWallClock) {
  TestExecutor ex;
  ex.advance(3s);
  auto h = ex.spawn(now_in_a_task());
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), TestExecutor::kStart + 3s);
  const Instant before = troupe::Clock::now();
  const Instant outside = troupe::now();
  EXPECT_GE(outside, before);
  EXPECT_LE(outside, troupe::Clock::now());
}

TEST(TestExecutor, AdvanceRejectsANegativeDuration) {
  TestExecutor ex;
  EXPECT_THROW(ex.advance(-1s), std::invalid_argument);
  EXPECT_THROW(ex.advance_and_run(-1s), std::invalid_argument);
  EXPECT_EQ(ex.now(), TestExecutor::kStart);
}

Task<void> sleep_then_log(troupe::Duration d, std::string& log, char c) {
  co_await troupe::sleep_for(d);
  log += c;
}

TEST(TestExecutor, AdvanceFiresDueTimersButLeavesTheWokenTasksToRun) {
  TestExecutor ex;
  std::string log;
  auto h = ex.spawn(sleep_then_log(1s, log, 's'));
  ex.run_until_idle();
  ASSERT_EQ(ex.pending_timers(), 1u);
  ex.advance(1s);
  EXPECT_EQ(ex.pending_timers(), 0u) << "the timer fired";
  EXPECT_EQ(ex.ready_tasks(), 1u) << "its task is ready";
  EXPECT_EQ(log, "") << "but did not run";
  EXPECT_EQ(ex.run_until_idle(), 1u);
  EXPECT_EQ(log, "s");
  EXPECT_TRUE(h.is_finished());
}

Task<std::vector<Instant>> record_now_after_sleeps(int n, troupe::Duration each, TestExecutor& ex) {
  std::vector<Instant> seen;
  for (int i = 0; i < n; ++i) {
    co_await troupe::sleep_for(each);
    seen.push_back(ex.now());
  }
  co_return seen;
}

TEST(TestExecutor, AdvanceAndRunStopsAtEveryDeadlineSoEachTaskSeesItsOwnWakeTime) {
  TestExecutor ex;
  auto h = ex.spawn(record_now_after_sleeps(3, 2s, ex));
  ex.advance_and_run(10s);
  ASSERT_TRUE(h.is_finished());
  const std::vector<Instant> want = {TestExecutor::kStart + 2s, TestExecutor::kStart + 4s,
                                     TestExecutor::kStart + 6s};
  EXPECT_EQ(h.wait(), want);
  EXPECT_EQ(ex.now(), TestExecutor::kStart + 10s);
}

TEST(TestExecutor, AdvanceAndRunLeavesTimersBeyondTheTargetArmed) {
  TestExecutor ex;
  auto h = ex.spawn(record_now_after_sleeps(3, 2s, ex));
  ex.advance_and_run(5s);  // wakes at 2s and 4s; the third sleep ends at 6s
  EXPECT_FALSE(h.is_finished());
  EXPECT_EQ(ex.now(), TestExecutor::kStart + 5s);
  EXPECT_EQ(ex.next_timer(), TestExecutor::kStart + 6s);
  ex.advance_and_run(1s);
  EXPECT_TRUE(h.is_finished());
}

Task<int> answer() { co_return 42; }

TEST(TestExecutor, BlockOnReturnsTheValueOfTheTask) {
  TestExecutor ex;
  EXPECT_EQ(ex.block_on(answer()), 42);
}

Task<int> sleep_an_hour_then(int v) {
  co_await troupe::sleep_for(1h);
  co_return v;
}

TEST(TestExecutor, BlockOnJumpsTheClockToTheNextTimerWhenIdle) {
  TestExecutor ex;
  EXPECT_EQ(ex.block_on(sleep_an_hour_then(7)), 7);
  EXPECT_EQ(ex.now(), TestExecutor::kStart + 1h) << "exactly to the deadline, no further";
}

Task<int> fail_after_a_sleep() {
  co_await troupe::sleep_for(1s);
  throw std::runtime_error("boom");
}

TEST(TestExecutor, BlockOnRethrowsTheExceptionOfTheTask) {
  TestExecutor ex;
  EXPECT_THROW(ex.block_on(fail_after_a_sleep()), std::runtime_error);
}

Task<void> park_on(Gate& gate, Tracked probe) {
  co_await gate;
  (void)probe;
}

TEST(TestExecutor, BlockOnThrowsLogicErrorOnDeadlockAndCancelsTheTask) {
  LifeCounter c;
  TestExecutor ex;
  Gate never;
  EXPECT_THROW(ex.block_on(park_on(never, Tracked(c))), std::logic_error);
  EXPECT_EQ(c.live(), 0) << "the deadlocked task's frame was destroyed";
  EXPECT_EQ(ex.live_tasks(), 0u);
}

Task<int> count_to(int n, int& counter) {
  for (int i = 0; i < n; ++i) {
    ++counter;
    co_await troupe::yield_now();
  }
  co_return counter;
}

TEST(TestExecutor, BlockOnAlsoRunsTheOtherTasks) {
  TestExecutor ex;
  int other = 0;
  auto h = ex.spawn(count_to(3, other));
  int mine = 0;
  EXPECT_EQ(ex.block_on(count_to(5, mine)), 5);
  EXPECT_TRUE(h.is_finished());
  EXPECT_EQ(other, 3);
}

Task<int> spawn_child_and_await() {
  auto child = troupe::spawn(answer());
  co_return co_await child + 1;
}

TEST(TestExecutor, SpawnInsideATaskGoesToTheTestExecutor) {
  TestExecutor ex;
  auto h = ex.spawn(spawn_child_and_await());
  ASSERT_TRUE(ex.step());
  EXPECT_EQ(ex.live_tasks(), 2u) << "the child is one of ours";
  EXPECT_EQ(ex.ready_tasks(), 1u);
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 43);
}

Task<bool> current_scheduler_is(troupe::detail::Scheduler* expected) {
  co_return troupe::detail::current_scheduler() == expected;
}

TEST(TestExecutor, IsTheCurrentSchedulerOnlyWhileATaskRuns) {
  TestExecutor ex;
  auto h = ex.spawn(current_scheduler_is(&ex));
  EXPECT_EQ(troupe::detail::current_scheduler(), nullptr);
  ex.run_until_idle();
  EXPECT_EQ(troupe::detail::current_scheduler(), nullptr);
  EXPECT_TRUE(h.wait());
}

TEST(TestExecutor, HasNoReactor) {
  TestExecutor ex;
  EXPECT_EQ(ex.reactor(), nullptr);
}

Task<void> sleep_forever(Tracked probe) {
  co_await troupe::sleep_for(troupe::Duration::max());
  (void)probe;
}

TEST(TestExecutor, DestructorCancelsAndDestroysEveryRemainingTask) {
  LifeCounter c;
  Gate never;
  std::optional<troupe::JoinHandle<void>> parked;
  std::optional<troupe::JoinHandle<void>> never_ran;
  {
    TestExecutor ex;
    parked.emplace(ex.spawn(park_on(never, Tracked(c))));
    auto sleeping = ex.spawn(sleep_forever(Tracked(c)));
    ex.run_until_idle();
    never_ran.emplace(ex.spawn(park_on(never, Tracked(c))));
    auto detached = ex.spawn(sleep_forever(Tracked(c)));
    detached.detach();
    ASSERT_EQ(c.live(), 4);
    ASSERT_EQ(ex.live_tasks(), 4u);
  }
  EXPECT_EQ(c.live(), 0);
  ASSERT_TRUE(parked->is_finished());
  EXPECT_THROW(parked->wait(), troupe::TaskCancelled);
  ASSERT_TRUE(never_ran->is_finished());
  EXPECT_THROW(never_ran->wait(), troupe::TaskCancelled);
}

Task<void> mark_ran(bool& ran, Tracked probe) {
  ran = true;
  (void)probe;
  co_return;
}

// Spawns mark_ran when destroyed, i.e. while its task is being cancelled.
struct SpawnOnExit {
  bool* ran;
  LifeCounter* c;
  ~SpawnOnExit() { troupe::spawn(mark_ran(*ran, Tracked(*c))).detach(); }
};

Task<void> spawn_when_cancelled(Gate& gate, bool& spawned_ran, LifeCounter& c) {
  SpawnOnExit guard{&spawned_ran, &c};
  co_await gate;
}

TEST(TestExecutor, TasksSpawnedWhileTheDestructorCancelsAreRefusedAndFreed) {
  LifeCounter c;
  Gate never;
  bool spawned_ran = false;
  {
    TestExecutor ex;
    auto h = ex.spawn(spawn_when_cancelled(never, spawned_ran, c));
    ex.run_until_idle();
  }
  EXPECT_FALSE(spawned_ran);
  EXPECT_EQ(c.live(), 0);
}

TEST(TestExecutor, AWakeFromAnotherThreadMakesTheTaskReady) {
  TestExecutor ex;
  Gate gate;
  std::string log;
  auto h = ex.spawn(wait_then_log(gate, log, 'w'));
  ex.run_until_idle();
  ASSERT_TRUE(gate.has_waiter());
  std::thread([&] { gate.set(); }).join();
  EXPECT_EQ(ex.ready_tasks(), 1u);
  ex.run_until_idle();
  EXPECT_EQ(log, "w");
  EXPECT_TRUE(h.is_finished());
}

}  // namespace
