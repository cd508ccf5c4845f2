#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/spawn.hpp>

#include "test_support.hpp"

namespace {

using troupe::JoinHandle;
using troupe::Runtime;
using troupe::Task;
using troupe::TaskCancelled;
using troupe::test::Gate;
using troupe::test::LifeCounter;
using troupe::test::ManualScheduler;
using troupe::test::Tracked;

Task<int> seven() { co_return 7; }

TEST(Spawn, OutsideARuntimeThrowsLogicErrorAndDestroysTheTask) {
  LifeCounter frames;
  auto body = [](Tracked probe) -> Task<int> { co_return probe.value(); };
  EXPECT_THROW((void)troupe::spawn(body(Tracked(frames))), std::logic_error);
  EXPECT_EQ(frames.live(), 0);
  std::thread([] { EXPECT_THROW((void)troupe::spawn(seven()), std::logic_error); }).join();
}

Task<std::thread::id> thread_of_child() { co_return std::this_thread::get_id(); }

Task<bool> spawn_from_a_task(troupe::detail::Scheduler* expected) {
  // The child gets the calling task's scheduler...
  auto h = troupe::spawn(thread_of_child());
  const std::thread::id child_thread = co_await h;
  // ...and runs on one of its workers, not on some other thread.
  co_return troupe::detail::current_scheduler() == expected&& child_thread != std::thread::id{};
}

TEST(Spawn, InsideATaskStartsTheChildOnTheSameRuntime) {
  Runtime rt({.workers = 2});
  EXPECT_TRUE(rt.block_on(spawn_from_a_task(&rt.scheduler())));
}

Task<int> spawn_many_and_sum(int n) {
  std::vector<JoinHandle<int>> hs;
  for (int i = 0; i < n; ++i) {
    hs.push_back(troupe::spawn([](int v) -> Task<int> { co_return v; }(i)));
  }
  int total = 0;
  for (auto& h : hs) total += co_await h;
  co_return total;
}

TEST(Spawn, ManyChildrenOfOneTaskAllDeliverTheirResults) {
  constexpr int kN = 2000;
  Runtime rt({.workers = 2});
  EXPECT_EQ(rt.block_on(spawn_many_and_sum(kN)), kN * (kN - 1) / 2);
}

TEST(Spawn, OnASchedulerThatIsShuttingDownCancelsTheTaskBeforeItRuns) {
  ManualScheduler s;
  s.close();
  LifeCounter frames;
  std::atomic<bool> ran{false};
  auto body = [](std::atomic<bool>& r, Tracked probe) -> Task<int> {
    r.store(true);
    co_return probe.value();
  };
  auto h = troupe::detail::spawn_on(s, body(ran, Tracked(frames)));
  EXPECT_TRUE(h.is_finished());
  EXPECT_EQ(s.queued(), 0u) << "nothing to run: it was cancelled in place";
  EXPECT_EQ(s.owned(), 0u);
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(frames.live(), 0);
  EXPECT_THROW(h.wait(), TaskCancelled);
}

TEST(Spawn, ASpawnedTaskIsOwnedUntilItFinishes) {
  ManualScheduler s;
  Gate g;
  auto body = [](Gate& gate) -> Task<void> { co_await gate; };
  auto h = troupe::detail::spawn_on(s, body(g));
  EXPECT_EQ(s.owned(), 1u);
  s.run_until_idle();
  EXPECT_EQ(s.owned(), 1u);
  g.set();
  s.run_until_idle();
  EXPECT_EQ(s.owned(), 0u);
  EXPECT_TRUE(h.is_finished());
}

}  // namespace
