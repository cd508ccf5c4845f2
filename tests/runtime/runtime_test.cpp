#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <troupe/runtime/runtime.hpp>

#include "test_support.hpp"

namespace {

using troupe::Runtime;
using troupe::Task;
using troupe::TaskCancelled;
using troupe::test::Gate;
using troupe::test::LifeCounter;
using troupe::test::mark_and_return;
using troupe::test::Tracked;

Task<int> leaf(int x) { co_return x + 1; }

Task<int> sum(int n) {
  int total = 0;
  for (int i = 0; i < n; ++i) total += co_await leaf(i);
  co_return total;
}

TEST(Runtime, BlockOnReturnsTheResultOfNestedTasks) {
  Runtime rt({.workers = 2});
  // leaf(i) is i + 1, so the sum is 1 + 2 + ... + 10.
  EXPECT_EQ(rt.block_on(sum(10)), 10 * 11 / 2);
}

Task<int> fail(const char* what) {
  throw std::invalid_argument(what);
  co_return 0;
}

TEST(Runtime, BlockOnRethrowsTheTaskException) {
  Runtime rt({.workers = 2});
  EXPECT_THROW(rt.block_on(fail("nope")), std::invalid_argument);
}

Task<void> nothing() { co_return; }

Task<bool> block_on_inside(Runtime& rt) {
  try {
    rt.block_on(nothing());
  } catch (const std::logic_error&) {
    co_return true;
  }
  co_return false;
}

TEST(Runtime, BlockOnFromOneOfItsOwnTasksThrowsLogicError) {
  Runtime rt({.workers = 2});
  EXPECT_TRUE(rt.block_on(block_on_inside(rt)));
}

TEST(Runtime, BlockOnFromSeveralThreadsAtOnceGivesEachItsOwnResult) {
  Runtime rt({.workers = 2});
  std::atomic<int> wrong{0};
  troupe::test::run_concurrently(4, [&](std::size_t t) {
    for (int i = 0; i < 200; ++i) {
      const int n = static_cast<int>(t) * 1000 + i;
      if (rt.block_on(leaf(n)) != n + 1) wrong.fetch_add(1);
    }
  });
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Runtime, WorkerCountIsTheRequestedOneOrOnePerHardwareThread) {
  Runtime two({.workers = 2});
  EXPECT_EQ(two.worker_count(), 2u);
  Runtime dflt;
  const unsigned hw = std::thread::hardware_concurrency();
  EXPECT_EQ(dflt.worker_count(), hw == 0 ? 1u : hw);
}

TEST(Runtime, SpawnAfterShutdownGivesATaskThatIsAlreadyCancelled) {
  Runtime rt({.workers = 2});
  rt.shutdown();
  LifeCounter frames;
  std::atomic<bool> ran{false};
  auto h = rt.spawn(mark_and_return(ran, Tracked(frames, 1)));
  EXPECT_TRUE(h.is_finished());
  EXPECT_THROW(h.wait(), TaskCancelled);
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(frames.live(), 0);
  EXPECT_EQ(rt.live_tasks(), 0u);
  EXPECT_THROW(rt.block_on(leaf(1)), TaskCancelled);
}

Task<void> park_holding(Gate& g, Tracked probe) {
  co_await g;
  (void)probe;
}

TEST(Runtime, DestroyingTheRuntimeCancelsSuspendedTasks) {
  LifeCounter frames;
  Gate g;
  troupe::JoinHandle<void> h;
  {
    Runtime rt({.workers = 2});
    h = rt.spawn(park_holding(g, Tracked(frames)));
    g.wait_until_parked();
    EXPECT_EQ(rt.live_tasks(), 1u);
    EXPECT_EQ(frames.live(), 1);
  }
  EXPECT_EQ(frames.live(), 0);
  ASSERT_TRUE(h.is_finished());
  EXPECT_THROW(h.wait(), TaskCancelled);
  // The gate still holds the cancelled task's waker: waking it is harmless
  // even though its runtime is gone.
  g.set();
}

Task<void> shutdown_inside(Runtime& rt, std::atomic<int>& outcome) {
  try {
    rt.shutdown();
    outcome.store(1);
  } catch (const std::logic_error&) {
    outcome.store(2);
  }
  co_return;
}

TEST(Runtime, ShutdownFromOneOfItsOwnTasksThrowsLogicError) {
  Runtime rt({.workers = 2});
  std::atomic<int> outcome{0};
  rt.block_on(shutdown_inside(rt, outcome));
  EXPECT_EQ(outcome.load(), 2);
}

TEST(Runtime, ShutdownWhileAnotherThreadIsInBlockOnMakesItThrowTaskCancelled) {
  Runtime rt({.workers = 2});
  Gate never;
  LifeCounter frames;
  std::atomic<int> outcome{0};
  std::thread blocked([&] {
    try {
      rt.block_on(park_holding(never, Tracked(frames)));
      outcome.store(1);
    } catch (const TaskCancelled&) {
      outcome.store(2);
    }
  });
  never.wait_until_parked();
  rt.shutdown();
  blocked.join();
  EXPECT_EQ(outcome.load(), 2);
  EXPECT_EQ(frames.live(), 0);
}

TEST(Runtime, ARuntimeDestroyedRightAfterItStartsShutsDownCleanly) {
  // Shutdown races the workers' start-up: some have not parked yet. Every
  // task spawned then either ran or was cancelled before it ran, and its
  // frame is destroyed with the runtime; a shutdown that hangs fails at
  // the watchdog.
  constexpr int kRounds = 100;
  troupe::test::Watchdog watchdog("starting and destroying 100 runtimes");
  LifeCounter frames;
  int completed = 0;
  int cancelled = 0;
  for (int i = 0; i < kRounds; ++i) {
    std::atomic<bool> ran{false};
    troupe::JoinHandle<int> h;
    {
      Runtime rt({.workers = 2});
      if (i % 2 == 0) h = rt.spawn(mark_and_return(ran, Tracked(frames, i)));  // work in flight
    }
    ASSERT_EQ(frames.live(), 0) << "round " << i << ": a frame outlived its runtime";
    if (i % 2 != 0) continue;
    ASSERT_TRUE(h.is_finished()) << "round " << i;
    try {
      EXPECT_EQ(h.wait(), i);
      EXPECT_TRUE(ran.load());
      ++completed;
    } catch (const TaskCancelled&) {
      EXPECT_FALSE(ran.load()) << "round " << i << ": cancelled after its body ran";
      ++cancelled;
    }
  }
  EXPECT_EQ(completed + cancelled, kRounds / 2);
  EXPECT_EQ(frames.created.load(), frames.destroyed.load());
}

std::chrono::microseconds process_cpu_time() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// Parked workers and the driver must block in the kernel, not spin. The
// test thread itself blocks for the whole measurement window, so the
// process's CPU time over the window is the runtime's.
TEST(Runtime, AnIdleRuntimeWithTwoWorkersUsesAlmostNoCpu) {
  Runtime rt({.workers = 2});
  ASSERT_EQ(rt.block_on(leaf(0)), 1);  // the workers are up and have parked since

  std::mutex m;
  std::condition_variable never_signalled;
  const auto cpu_before = process_cpu_time();
  {
    std::unique_lock lock(m);
    // A measurement window, not synchronisation: nothing signals it.
    never_signalled.wait_for(lock, std::chrono::milliseconds(300), [] { return false; });
  }
  const auto used = process_cpu_time() - cpu_before;
  EXPECT_LT(used, std::chrono::milliseconds(30))
      << "an idle runtime used " << used.count() << "us of CPU in 300ms";
}

}  // namespace
