#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/timeout.hpp>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::Duration;
using troupe::Instant;
using troupe::Task;
using troupe::TestExecutor;
using troupe::TimeoutResult;
using troupe::test::Gate;
using troupe::test::kT0;
using troupe::test::LifeCounter;
using troupe::test::Tracked;
using troupe::test::value_after;

TEST(Timeout, ReturnsTheValueWhenTheTaskFinishesBeforeTheDeadline) {
  TestExecutor ex;
  auto h = ex.spawn(troupe::timeout(10s, value_after(5s, 42)));
  ex.advance_and_run(5s);
  ASSERT_TRUE(h.is_finished()) << "done at 5s, without waiting for the deadline";
  TimeoutResult<int> r = h.wait();
  EXPECT_FALSE(r.timed_out());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(ex.pending_timers(), 0u) << "the deadline's timer is gone with the timeout";
  EXPECT_EQ(ex.live_tasks(), 0u);
}

TEST(Timeout, DoesNotFireBeforeTheDeadline) {
  TestExecutor ex;
  auto h = ex.spawn(troupe::timeout(10s, value_after(1h, 1)));
  ex.advance_and_run(10s - 1ns);
  EXPECT_FALSE(h.is_finished());
  ex.advance_and_run(1ns);
  ASSERT_TRUE(h.is_finished());
  EXPECT_TRUE(h.wait().timed_out());
}

Task<int> guarded_sleep(Tracked guard, Duration d) {
  co_await troupe::sleep_for(d);
  co_return guard.value();
}

// Awaits a timeout and reports how many probes were alive right after it.
Task<int> live_probes_after_timeout(LifeCounter& c, Duration limit, Duration work) {
  // Made in its own statement: a temporary Tracked in the co_await's full
  // expression would live across the suspension and be counted.
  Task<int> inner = guarded_sleep(Tracked(c, 7), work);
  TimeoutResult<int> r = co_await troupe::timeout(limit, std::move(inner));
  EXPECT_TRUE(r.timed_out());
  co_return c.live();
}

TEST(Timeout, TimesOutAndCancelsTheInnerTaskBeforeReturning) {
  LifeCounter c;
  TestExecutor ex;
  auto h = ex.spawn(live_probes_after_timeout(c, 10s, 1h));
  ex.run_until_idle();
  ASSERT_EQ(c.live(), 1) << "the inner task is running";
  ASSERT_EQ(ex.live_tasks(), 1u) << "the inner task runs inside the waiter";
  ex.advance_and_run(10s);
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 0) << "the inner frame (and its guard) was destroyed when timeout returned";
  EXPECT_EQ(ex.pending_timers(), 0u) << "the inner task's sleep was disarmed";
  EXPECT_EQ(ex.live_tasks(), 0u);
}

Task<int> throw_after(Duration d) {
  co_await troupe::sleep_for(d);
  throw std::out_of_range("inner failed");
}

TEST(Timeout, ExceptionOfTheInnerTaskPropagates) {
  TestExecutor ex;
  auto h = ex.spawn(troupe::timeout(10s, throw_after(1s)));
  ex.advance_and_run(1s);
  ASSERT_TRUE(h.is_finished());
  EXPECT_THROW((void)h.wait(), std::out_of_range);
}

Task<void> void_after(Duration d, bool& done) {
  co_await troupe::sleep_for(d);
  done = true;
}

TEST(Timeout, VoidTaskReportsCompletion) {
  TestExecutor ex;
  bool done = false;
  TimeoutResult<void> r = ex.block_on(troupe::timeout(5s, void_after(1s, done)));
  EXPECT_TRUE(done);
  EXPECT_FALSE(r.timed_out());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_NO_THROW(r.value());
}

TEST(Timeout, VoidTaskReportsTimingOut) {
  TestExecutor ex;
  bool done = false;
  TimeoutResult<void> r = ex.block_on(troupe::timeout(5s, void_after(1h, done)));
  EXPECT_FALSE(done);
  EXPECT_TRUE(r.timed_out());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_THROW(r.value(), troupe::TimedOut);
  EXPECT_EQ(ex.now(), kT0 + 5s) << "block_on stopped at the deadline";
}

TEST(Timeout, ValueOfATimedOutResultThrowsTimedOutAndValueOrGivesTheFallback) {
  TimeoutResult<std::string> out = TimeoutResult<std::string>::elapsed();
  EXPECT_TRUE(out.timed_out());
  EXPECT_THROW((void)out.value(), troupe::TimedOut);
  EXPECT_EQ(out.value_or("fallback"), "fallback");
  TimeoutResult<std::string> in("value");
  EXPECT_EQ(in.value_or("fallback"), "value");
  EXPECT_EQ(std::move(in).value(), "value");
}

Task<std::unique_ptr<int>> make_unique_after(Duration d, int v) {
  co_await troupe::sleep_for(d);
  co_return std::make_unique<int>(v);
}

TEST(Timeout, MoveOnlyValuesAreHandedThrough) {
  TestExecutor ex;
  auto r = ex.block_on(troupe::timeout(5s, make_unique_after(1s, 9)));
  ASSERT_TRUE(r.has_value());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 9);
}

TEST(Timeout, TimeoutAtUsesAnAbsoluteDeadline) {
  TestExecutor ex;
  ex.advance(3s);
  auto h = ex.spawn(troupe::timeout_at(kT0 + 5s, value_after(1h, 1)));
  ex.advance_and_run(2s - 1ns);
  EXPECT_FALSE(h.is_finished());
  ex.advance_and_run(1ns);
  ASSERT_TRUE(h.is_finished());
  EXPECT_TRUE(h.wait().timed_out());
}

Task<int> mark_and_return(bool& ran, int v) {
  ran = true;
  co_return v;
}

TEST(Timeout, AnAlreadyPassedDeadlineStillLetsATaskThatIsReadyAtOnceFinish) {
  TestExecutor ex;
  bool ran = false;
  auto r = ex.block_on(troupe::timeout(0s, mark_and_return(ran, 1)));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r.value(), 1);
  EXPECT_TRUE(ran);
}

TEST(Timeout, AnAlreadyPassedDeadlineTimesOutATaskThatWouldWaitWithoutTimePassing) {
  LifeCounter c;
  TestExecutor ex;
  auto r = ex.block_on(troupe::timeout(0s, guarded_sleep(Tracked(c), 1s)));
  EXPECT_TRUE(r.timed_out());
  EXPECT_EQ(c.live(), 0);
  EXPECT_EQ(ex.now(), kT0) << "no time passed";
}

TEST(Timeout, LimitIsCountedFromWhenTheTimeoutTaskStarts) {
  TestExecutor ex;
  auto t = troupe::timeout(10s, value_after(1h, 1));  // lazy: nothing measured yet
  ex.advance(100s);
  auto h = ex.spawn(std::move(t));
  ex.run_until_idle();
  EXPECT_EQ(ex.next_timer(), kT0 + 110s);
  ex.advance_and_run(10s);
  ASSERT_TRUE(h.is_finished());
  EXPECT_TRUE(h.wait().timed_out());
}

Task<int> value_when_set(Gate& gate, int v) {
  co_await gate;
  co_return v;
}

TEST(Timeout, WhenTheTaskAndTheDeadlineAreBothReadyTheTaskWins) {
  for (bool gate_first : {true, false}) {
    TestExecutor ex;
    Gate gate;
    auto h = ex.spawn(troupe::timeout(5s, value_when_set(gate, 3)));
    ex.run_until_idle();
    ASSERT_TRUE(gate.has_waiter());
    if (gate_first) gate.set();
    ex.advance(5s);
    if (!gate_first) gate.set();
    ex.run_until_idle();
    ASSERT_TRUE(h.is_finished());
    auto r = h.wait();
    ASSERT_TRUE(r.has_value()) << "gate first: " << gate_first;
    EXPECT_EQ(r.value(), 3);
  }
}

TEST(Timeout, ATaskStillWaitingAtTheDeadlineIsDestroyedAndNeverResumes) {
  TestExecutor ex;
  Gate gate;
  bool resumed = false;
  auto inner = [](Gate& g, bool& resumed) -> Task<int> {
    co_await g;
    resumed = true;
    co_return 1;
  };
  auto h = ex.spawn(troupe::timeout(5s, inner(gate, resumed)));
  ex.run_until_idle();
  ex.advance_and_run(5s);
  ASSERT_TRUE(h.is_finished());
  EXPECT_TRUE(h.wait().timed_out());
  gate.set();
  ex.run_until_idle();
  EXPECT_FALSE(resumed);
}

TEST(Timeout, CancellingTheTimeoutCancelsTheInnerTask) {
  LifeCounter c;
  TestExecutor ex;
  auto h = ex.spawn(troupe::timeout(1h, guarded_sleep(Tracked(c), 2h)));
  ex.run_until_idle();
  ASSERT_EQ(c.live(), 1);
  ASSERT_EQ(ex.pending_timers(), 2u) << "the deadline and the inner sleep";
  h.cancel();
  ex.run_until_idle();
  EXPECT_EQ(c.live(), 0);
  EXPECT_EQ(ex.pending_timers(), 0u);
  EXPECT_EQ(ex.live_tasks(), 0u);
  EXPECT_THROW((void)h.wait(), troupe::TaskCancelled);
}

TEST(Timeout, NestedTimeoutsTheInnermostDeadlineFiresFirst) {
  TestExecutor ex;
  auto h = ex.spawn(troupe::timeout(10s, [](TestExecutor& e) -> Task<Instant> {
    auto inner = co_await troupe::timeout(3s, value_after(1h, 1));
    EXPECT_TRUE(inner.timed_out());
    co_return e.now();
  }(ex)));
  ex.advance_and_run(1h);
  ASSERT_TRUE(h.is_finished());
  auto r = h.wait();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r.value(), kT0 + 3s);
}

// --- On the real Runtime: the outcome is decided by ordering, not timing. ---

Task<int> wait_forever(Gate& gate, Tracked probe) {
  co_await gate;
  co_return probe.value();
}

TEST(Timeout, OnTheRuntimeATaskThatNeverFinishesTimesOutAndIsDestroyed) {
  troupe::Runtime rt({.workers = 2});
  LifeCounter c;
  Gate never;
  auto r = rt.block_on(troupe::timeout(1ms, wait_forever(never, Tracked(c))));
  EXPECT_TRUE(r.timed_out());
  EXPECT_EQ(c.live(), 0);
}

Task<int> immediate(int v) { co_return v; }

TEST(Timeout, OnTheRuntimeATaskThatFinishesAtOnceBeatsALongDeadline) {
  troupe::Runtime rt({.workers = 2});
  auto r = rt.block_on(troupe::timeout(1h, immediate(5)));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r.value(), 5);
  EXPECT_EQ(rt.scheduler().timers().size(), 0u);
}

}  // namespace
