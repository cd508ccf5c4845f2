#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/waker.hpp>

#include "test_support.hpp"

namespace {

using troupe::Task;
using troupe::Waker;
using troupe::test::CountingTarget;
using troupe::test::Gate;
using troupe::test::LifeCounter;
using troupe::test::ManualScheduler;
using troupe::test::Tracked;

TEST(Waker, DefaultConstructedIsEmptyAndWakingItDoesNothing) {
  Waker w;
  EXPECT_FALSE(static_cast<bool>(w));
  w.wake();
  w.wake_and_reset();
  EXPECT_FALSE(static_cast<bool>(w));
}

TEST(Waker, RetainTakesAReferenceThatTheDestructorGivesBack) {
  CountingTarget t;
  {
    Waker w = Waker::retain(&t);
    EXPECT_EQ(t.refs.load(), 1);
    EXPECT_TRUE(static_cast<bool>(w));
  }
  EXPECT_EQ(t.refs.load(), 0);
}

TEST(Waker, AdoptTakesOverAnExistingReference) {
  CountingTarget t;
  t.retain();
  {
    Waker w = Waker::adopt(&t);
    EXPECT_EQ(t.refs.load(), 1);
  }
  EXPECT_EQ(t.refs.load(), 0);
}

TEST(Waker, CopyTakesAnotherReference) {
  CountingTarget t;
  Waker a = Waker::retain(&t);
  {
    Waker b = a;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
    EXPECT_EQ(t.refs.load(), 2);
    EXPECT_TRUE(b.will_wake(a));
  }
  EXPECT_EQ(t.refs.load(), 1);
}

TEST(Waker, MoveTransfersTheReferenceAndEmptiesTheSource) {
  CountingTarget t;
  Waker a = Waker::retain(&t);
  Waker b = std::move(a);
  EXPECT_EQ(t.refs.load(), 1);
  EXPECT_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(static_cast<bool>(b));
  Waker c;
  c = std::move(b);
  EXPECT_EQ(t.refs.load(), 1);
  EXPECT_TRUE(c.will_wake(&t));
}

TEST(Waker, AssignmentReleasesTheOldTarget) {
  CountingTarget t1;
  CountingTarget t2;
  Waker w = Waker::retain(&t1);
  Waker other = Waker::retain(&t2);
  w = other;
  EXPECT_EQ(t1.refs.load(), 0);
  EXPECT_EQ(t2.refs.load(), 2);
}

TEST(Waker, SelfAssignmentKeepsTheReference) {
  CountingTarget t;
  Waker w = Waker::retain(&t);
  Waker& alias = w;
  w = alias;
  EXPECT_EQ(t.refs.load(), 1);
  EXPECT_TRUE(w.will_wake(&t));
}

TEST(Waker, WakeKeepsTheWakerUsable) {
  CountingTarget t;
  Waker w = Waker::retain(&t);
  w.wake();
  w.wake();
  EXPECT_EQ(t.wakes.load(), 2);
  EXPECT_EQ(t.refs.load(), 1);
}

TEST(Waker, WakeAndResetWakesOnceAndGivesUpTheReference) {
  CountingTarget t;
  Waker w = Waker::retain(&t);
  w.wake_and_reset();
  EXPECT_EQ(t.wakes.load(), 1);
  EXPECT_EQ(t.refs.load(), 0);
  EXPECT_FALSE(static_cast<bool>(w));
  w.wake_and_reset();
  EXPECT_EQ(t.wakes.load(), 1);
}

TEST(Waker, ResetReleasesTheReference) {
  CountingTarget t;
  Waker w = Waker::retain(&t);
  w.reset();
  EXPECT_EQ(t.refs.load(), 0);
  EXPECT_FALSE(static_cast<bool>(w));
}

TEST(Waker, WillWakeComparesTargets) {
  CountingTarget t1;
  CountingTarget t2;
  Waker a = Waker::retain(&t1);
  Waker b = Waker::retain(&t2);
  EXPECT_FALSE(a.will_wake(b));
  EXPECT_TRUE(a.will_wake(&t1));
  EXPECT_FALSE(a.will_wake(&t2));
  EXPECT_TRUE(Waker().will_wake(Waker()));
}

Task<int> wait_on(Gate& g, int v) {
  co_await g;
  co_return v;
}

TEST(Waker, WakeFromAPlainThreadReschedulesTheParkedTask) {
  ManualScheduler s;
  Gate g;
  auto h = troupe::detail::spawn_on(s, wait_on(g, 9));
  s.run_until_idle();
  ASSERT_TRUE(g.has_waiter());
  ASSERT_EQ(s.queued(), 0u);
  std::thread([&] { g.set(); }).join();
  EXPECT_EQ(s.queued(), 1u);
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 9);
}

TEST(Waker, ConcurrentWakesOfAParkedTaskScheduleItOnce) {
  ManualScheduler s;
  troupe::test::Forever leaf;
  auto body = [](troupe::test::Forever& f) -> Task<void> { co_await f; };
  auto h = troupe::detail::spawn_on(s, body(leaf));
  s.run_until_idle();
  const Waker w = leaf.waker();
  ASSERT_TRUE(static_cast<bool>(w));
  const auto before = s.scheduled();
  troupe::test::run_concurrently(8, [&](std::size_t) {
    for (int i = 0; i < 1000; ++i) w.wake();
  });
  EXPECT_EQ(s.scheduled(), before + 1);
  EXPECT_EQ(s.queued(), 1u);
  h.cancel();
  s.run_until_idle();
}

TEST(Waker, WakeAfterTheTaskCompletedIsANoOp) {
  ManualScheduler s;
  Gate g;
  auto h = troupe::detail::spawn_on(s, wait_on(g, 1));
  s.run_until_idle();
  const Waker stale = g.waker();
  g.set();
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  const auto before = s.scheduled();
  stale.wake();
  std::thread([&] { stale.wake(); }).join();
  EXPECT_EQ(s.scheduled(), before);
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(h.wait(), 1);
}

Task<Tracked> make_tracked(Gate& g, LifeCounter& c) {
  co_await g;
  co_return Tracked(c, 4);
}

// The task's result lives in its heap cell, so it shows when the cell is
// freed: that must wait for the last reference, here a Waker.
TEST(Waker, ATaskIsFreedOnlyWhenTheLastWakerIsDropped) {
  LifeCounter c;
  ManualScheduler s;
  Gate g;
  {
    auto h = troupe::detail::spawn_on(s, make_tracked(g, c));
    s.run_until_idle();
    Waker last = g.waker();
    g.set();
    s.run_until_idle();
    ASSERT_TRUE(h.is_finished());
    h.detach();
    EXPECT_EQ(c.live(), 1) << "the unclaimed result is still in the cell";
    last.reset();
    EXPECT_EQ(c.live(), 0) << "the last reference freed the cell";
  }
  EXPECT_EQ(c.live(), 0);
}

TEST(Waker, ACancelledTaskStaysAllocatedWhileAWakerRefersToIt) {
  ManualScheduler s;
  Gate g;
  LifeCounter frames;
  auto body = [](Gate& gate, Tracked) -> Task<void> { co_await gate; };
  auto h = troupe::detail::spawn_on(s, body(g, Tracked(frames)));
  s.run_until_idle();
  ASSERT_EQ(frames.live(), 1);
  h.cancel();
  s.run_until_idle();
  EXPECT_EQ(frames.live(), 0) << "cancellation destroys the frame at once";
  h.detach();
  // The gate still holds a waker: waking it must be harmless.
  g.set();
  EXPECT_EQ(s.queued(), 0u);
}

}  // namespace
