#include <atomic>
#include <barrier>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/unobserved_failure.hpp>

#include "test_support.hpp"

namespace {

using troupe::JoinHandle;
using troupe::Runtime;
using troupe::Task;
using troupe::TaskCancelled;
using troupe::test::Gate;
using troupe::test::LifeCounter;
using troupe::test::ManualScheduler;
using troupe::test::mark_and_return;
using troupe::test::Tracked;

static_assert(!std::is_copy_constructible_v<JoinHandle<int>>);
static_assert(std::is_nothrow_move_constructible_v<JoinHandle<int>>);
static_assert(troupe::Future<JoinHandle<int>>);
static_assert(troupe::Future<JoinHandle<void>>);

/// Installs a hook that counts unobserved failures; restores the default.
class CountingHook {
 public:
  CountingHook() {
    troupe::set_unobserved_failure_hook([this](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::runtime_error& ex) {
        last_what_ = ex.what();
      } catch (...) {
      }
      count_.fetch_add(1);
      count_.notify_all();
    });
  }
  CountingHook(const CountingHook&) = delete;
  CountingHook& operator=(const CountingHook&) = delete;
  ~CountingHook() { troupe::set_unobserved_failure_hook({}); }
  int count() const { return count_.load(); }
  void wait_for(int n) const {
    for (int c = count_.load(); c < n; c = count_.load()) count_.wait(c);
  }
  std::string last_what() const { return last_what_; }

 private:
  std::atomic<int> count_{0};
  std::string last_what_;  // written by the hook before the count's release
};

Task<int> value_after(Gate& g, int v) {
  co_await g;
  co_return v;
}

Task<int> fail_after(Gate& g, std::string msg) {
  co_await g;
  throw std::runtime_error(msg);
}

Task<int> fail_now(std::string msg) {
  throw std::runtime_error(msg);
  co_return 0;
}

Task<int> return_now(int v) { co_return v; }

Task<int> await_spawned(Task<int> child) {
  JoinHandle<int> h = troupe::spawn(std::move(child));
  co_return co_await h;
}

TEST(JoinHandle, AwaitingItInsideATaskGivesTheValue) {
  ManualScheduler s;
  auto h = troupe::detail::spawn_on(s, await_spawned(return_now(11)));
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 11);
}

TEST(JoinHandle, AwaitingItParksTheAwaiterUntilTheTaskFinishes) {
  ManualScheduler s;
  Gate g;
  auto h = troupe::detail::spawn_on(s, await_spawned(value_after(g, 5)));
  s.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  EXPECT_EQ(s.owned(), 2u);
  g.set();
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 5);
}

Task<std::string> await_and_catch(Task<int> child) {
  JoinHandle<int> h = troupe::spawn(std::move(child));
  try {
    co_await h;
  } catch (const std::runtime_error& e) {
    co_return e.what();
  }
  co_return "no exception";
}

TEST(JoinHandle, AwaitingItRethrowsTheTaskException) {
  ManualScheduler s;
  auto h = troupe::detail::spawn_on(s, await_and_catch(fail_now("inner failure")));
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), "inner failure");
}

TEST(JoinHandle, WaitBlocksAPlainThreadUntilTheTaskFinishes) {
  Runtime rt({.workers = 2});
  Gate g;
  auto h = rt.spawn(value_after(g, 42));
  std::thread setter([&] {
    g.wait_until_parked();
    g.set();
  });
  EXPECT_EQ(h.wait(), 42);
  EXPECT_TRUE(g.is_set()) << "wait returned before the task could finish";
  setter.join();
}

TEST(JoinHandle, WaitOnAWorkerThrowsInsteadOfBlockingIt) {
  Runtime rt({.workers = 1});
  Gate gate;
  auto blocked = rt.spawn([](Gate& g) -> Task<void> { co_await g; }(gate));
  const bool threw = rt.block_on([](JoinHandle<void>& h) -> Task<bool> {
    try {
      h.wait();
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  }(blocked));
  EXPECT_TRUE(threw);
  gate.set();
  blocked.wait();  // from a plain thread: fine
}

TEST(JoinHandle, WaitRethrowsTheTaskException) {
  Runtime rt({.workers = 2});
  auto h = rt.spawn(fail_now("waited failure"));
  try {
    h.wait();
    ADD_FAILURE() << "wait did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "waited failure");
  }
}

Task<void> void_after(Gate& g, std::atomic<int>& ran) {
  co_await g;
  ran.fetch_add(1);
}

TEST(JoinHandle, WaitOnAVoidTaskReturnsAfterItRan) {
  Runtime rt({.workers = 2});
  Gate g;
  std::atomic<int> ran{0};
  auto h = rt.spawn(void_after(g, ran));
  g.set();
  h.wait();
  EXPECT_EQ(ran.load(), 1);
}

TEST(JoinHandle, IsFinishedTurnsTrueWhenTheTaskCompletes) {
  ManualScheduler s;
  Gate g;
  auto h = troupe::detail::spawn_on(s, value_after(g, 1));
  EXPECT_FALSE(h.is_finished());
  s.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  g.set();
  s.run_until_idle();
  EXPECT_TRUE(h.is_finished());
}

Task<void> signal_after(Gate& g, troupe::test::Countdown& done) {
  co_await g;
  done.count_down();
}

TEST(JoinHandle, ADetachedTaskKeepsRunningToCompletion) {
  Runtime rt({.workers = 2});
  Gate g;
  troupe::test::Countdown done(1);
  auto h = rt.spawn(signal_after(g, done));
  h.detach();
  // Detached while it waits, not before it ran (a detach that cancelled it
  // would leave it never parked: the gate says so at the deadline).
  ASSERT_TRUE(g.parked_within(troupe::test::kFailFast)) << "the detached task never ran";
  g.set();
  EXPECT_TRUE(done.wait_for()) << "the detached task never finished";
  rt.shutdown();
  EXPECT_EQ(done.left(), 0) << "it counted down twice";
}

TEST(JoinHandle, DroppingTheHandleDetachesTheTask) {
  Runtime rt({.workers = 2});
  Gate g;
  troupe::test::Countdown done(1);
  { auto h = rt.spawn(signal_after(g, done)); }
  ASSERT_TRUE(g.parked_within(troupe::test::kFailFast)) << "the task never ran";
  g.set();
  EXPECT_TRUE(done.wait_for()) << "the task whose handle was dropped never finished";
  rt.shutdown();
  EXPECT_EQ(done.left(), 0);
}

TEST(JoinHandle, MoveAssignmentDetachesTheTaskItReplaces) {
  ManualScheduler s;
  Gate g1;
  Gate g2;
  auto a = troupe::detail::spawn_on(s, value_after(g1, 2));
  auto b = troupe::detail::spawn_on(s, value_after(g2, 3));
  auto first = std::move(a);  // the same task, moved
  s.run_until_idle();
  troupe::test::ProbeTask probe;
  troupe::Context cx(probe);
  ASSERT_FALSE(first.poll(cx));
  first = std::move(b);  // the first task runs on, detached
  EXPECT_EQ(probe.refs(), 1u) << "the replaced handle let go of its waker";
  g1.set();
  g2.set();
  s.run_until_idle();
  EXPECT_EQ(probe.wakes(), 0) << "a detached task has no joiner to wake";
  EXPECT_EQ(s.owned(), 0u) << "both ran to completion";
  ASSERT_TRUE(first.is_finished());
  EXPECT_EQ(first.wait(), 3);
}

TEST(JoinHandle, CancelBeforeStartNeverRunsTheBodyAndDestroysTheFrame) {
  ManualScheduler s;
  LifeCounter c;
  std::atomic<bool> ran{false};
  auto h = troupe::detail::spawn_on(s, mark_and_return(ran, Tracked(c, 1)));
  ASSERT_EQ(c.live(), 1);
  h.cancel();
  s.run_until_idle();
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(c.live(), 0);
  ASSERT_TRUE(h.is_finished());
  EXPECT_THROW(h.wait(), TaskCancelled);
}

Task<int> park_and_return(Gate& g, Tracked probe) {
  co_await g;
  co_return probe.value();
}

TEST(JoinHandle, CancelWhileSuspendedDestroysTheFrameAndWaitThrowsTaskCancelled) {
  Runtime rt({.workers = 2});
  LifeCounter c;
  Gate g;
  auto h = rt.spawn(park_and_return(g, Tracked(c, 1)));
  g.wait_until_parked();
  ASSERT_EQ(c.live(), 1);
  h.cancel();
  EXPECT_THROW(h.wait(), TaskCancelled);
  EXPECT_EQ(c.live(), 0) << "the frame is destroyed before the task counts as finished";
}

Task<std::string> await_cancelled(JoinHandle<int> h) {
  try {
    co_await h;
  } catch (const TaskCancelled&) {
    co_return "cancelled";
  }
  co_return "completed";
}

TEST(JoinHandle, AwaitingACancelledTaskThrowsTaskCancelled) {
  ManualScheduler s;
  Gate g;
  LifeCounter c;
  auto inner = troupe::detail::spawn_on(s, park_and_return(g, Tracked(c, 1)));
  s.run_until_idle();
  inner.cancel();
  auto outer = troupe::detail::spawn_on(s, await_cancelled(std::move(inner)));
  s.run_until_idle();
  ASSERT_TRUE(outer.is_finished());
  EXPECT_EQ(outer.wait(), "cancelled");
  EXPECT_EQ(c.live(), 0);
}

TEST(JoinHandle, CancelAfterCompletionKeepsTheResult) {
  ManualScheduler s;
  auto h = troupe::detail::spawn_on(s, return_now(8));
  s.run_until_idle();
  h.cancel();
  s.run_until_idle();
  EXPECT_EQ(h.wait(), 8);
}

TEST(JoinHandle, CancelWhileTheTaskRunsLetsACompletingPollKeepItsResult) {
  // The cancel lands while the task is RUNNING (from inside its own poll);
  // the poll completes the task, so the result wins over the request.
  ManualScheduler s;
  JoinHandle<int>* self = nullptr;
  auto body = [](JoinHandle<int>*& me) -> Task<int> {
    me->cancel();
    co_return 6;
  };
  auto h = troupe::detail::spawn_on(s, body(self));
  self = &h;
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 6);
}

Task<int> finish_after(Gate& g, std::atomic<bool>& finished, Tracked probe) {
  co_await g;
  finished.store(true);
  co_return probe.value();
}

// The owner cancels while another thread makes the task finish: exactly one
// outcome is reported, and it matches what the task actually did.
TEST(JoinHandle, CancelRacingCompletionGivesEitherTheResultOrTaskCancelled) {
  // Up to kMaxRounds; on a loaded machine (every round is two barrier
  // crossings between threads) the budget ends it after at least 1000.
  constexpr int kMaxRounds = 10'000;
  const troupe::test::RoundBudget budget(1'000, std::chrono::seconds(2));
  Runtime rt({.workers = 2});
  LifeCounter c;
  std::barrier sync(2);
  Gate* gate = nullptr;  // handed over through the barrier; null: no more rounds
  std::thread setter([&] {
    for (;;) {
      sync.arrive_and_wait();
      if (gate == nullptr) return;
      gate->set();
      sync.arrive_and_wait();
    }
  });
  int completed = 0;
  int cancelled = 0;
  int rounds = 0;
  for (int i = 0; i < kMaxRounds && budget.allows(i); ++i, rounds = i) {
    Gate g;
    std::atomic<bool> finished{false};
    auto h = rt.spawn(finish_after(g, finished, Tracked(c, i)));
    g.wait_until_parked();
    gate = &g;
    sync.arrive_and_wait();
    h.cancel();
    try {
      EXPECT_EQ(h.wait(), i);
      EXPECT_TRUE(finished.load()) << "a result without the body finishing";
      ++completed;
    } catch (const TaskCancelled&) {
      EXPECT_FALSE(finished.load()) << "TaskCancelled although the body finished";
      ++cancelled;
    }
    sync.arrive_and_wait();  // the setter is done with the gate
    EXPECT_EQ(c.live(), 0) << "round " << i;
  }
  gate = nullptr;
  sync.arrive_and_wait();  // the setter sees no gate and leaves
  setter.join();
  EXPECT_GE(rounds, 1'000);
  EXPECT_EQ(completed + cancelled, rounds);
  EXPECT_EQ(c.created.load(), c.destroyed.load());
}

TEST(JoinHandle, UnobservedFailureHookFiresOnceForATaskDetachedBeforeItFails) {
  CountingHook hook;
  ManualScheduler s;
  Gate g;
  troupe::detail::spawn_on(s, fail_after(g, "detached failure")).detach();
  s.run_until_idle();
  EXPECT_EQ(hook.count(), 0);
  g.set();
  s.run_until_idle();
  EXPECT_EQ(hook.count(), 1);
  EXPECT_EQ(hook.last_what(), "detached failure");
}

TEST(JoinHandle, UnobservedFailureHookFiresOnceWhenTheHandleIsDroppedAfterTheFailure) {
  CountingHook hook;
  ManualScheduler s;
  {
    auto h = troupe::detail::spawn_on(s, fail_now("dropped after failure"));
    s.run_until_idle();
    ASSERT_TRUE(h.is_finished());
    EXPECT_EQ(hook.count(), 0) << "the handle could still observe it";
  }
  EXPECT_EQ(hook.count(), 1);
  EXPECT_EQ(hook.last_what(), "dropped after failure");
}

TEST(JoinHandle, UnobservedFailureHookStaysQuietWhenTheFailureWasObserved) {
  CountingHook hook;
  ManualScheduler s;
  {
    auto h = troupe::detail::spawn_on(s, fail_now("observed"));
    s.run_until_idle();
    EXPECT_THROW(h.wait(), std::runtime_error);
  }
  EXPECT_EQ(hook.count(), 0);
}

TEST(JoinHandle, UnobservedFailureHookStaysQuietForSuccessfulAndCancelledDetachedTasks) {
  CountingHook hook;
  ManualScheduler s;
  Gate g;
  troupe::detail::spawn_on(s, return_now(1)).detach();
  {
    auto h = troupe::detail::spawn_on(s, fail_after(g, "never"));
    s.run_until_idle();
    h.cancel();
  }
  s.run_until_idle();
  EXPECT_EQ(hook.count(), 0);
}

// Detach on the owner's thread races the failure on a worker: whichever
// comes second reports, so each failure is reported exactly once.
TEST(JoinHandle, DetachRacingAFailureReportsItExactlyOnce) {
  // Up to kMaxRounds; the budget ends it sooner on a loaded machine, where
  // each round's thread start waits for a time slice.
  constexpr int kMaxRounds = 2'000;
  const troupe::test::RoundBudget budget(200, std::chrono::seconds(2));
  CountingHook hook;
  Runtime rt({.workers = 2});
  int rounds = 0;
  for (int i = 0; i < kMaxRounds && budget.allows(i); ++i, rounds = i) {
    Gate g;
    auto h = rt.spawn(fail_after(g, "raced"));
    g.wait_until_parked();
    std::thread setter([&] { g.set(); });
    h.detach();
    setter.join();
    hook.wait_for(i + 1);
  }
  rt.shutdown();
  EXPECT_GE(rounds, 200);
  EXPECT_EQ(hook.count(), rounds);
}

// A JoinHandle that is dropped before the task finishes must let go of the
// waker it registered at once: holding it would keep the awaiting task's
// cell (and whatever its waker refers to) alive for as long as the awaited
// task lives, and two tasks awaiting each other would never be freed.
TEST(JoinHandle, DroppingAnUnfinishedHandleReleasesItsRegisteredWaker) {
  ManualScheduler s;
  Gate g;
  troupe::test::ProbeTask probe;
  {
    auto h = troupe::detail::spawn_on(s, value_after(g, 1));
    s.run_until_idle();
    troupe::Context cx(probe);
    EXPECT_FALSE(h.poll(cx));
    EXPECT_EQ(probe.refs(), 2u) << "the handle's task holds a waker to the probe";
  }
  EXPECT_EQ(probe.refs(), 1u);
  g.set();
  s.run_until_idle();
  EXPECT_EQ(probe.refs(), 1u);
  probe.release();
  EXPECT_TRUE(probe.freed());
}

Task<void> await_other(Gate& ready, std::optional<JoinHandle<void>>& slot) {
  co_await ready;
  JoinHandle<void> other = std::move(*slot);  // now owned by this frame
  co_await other;
}

// Each task's cell holds the other's waker as its joiner. When they are
// cancelled, the first one to go must drop the waker it registered, or the
// two cells keep each other alive forever (LSan reports the leak).
TEST(JoinHandle, TwoTasksAwaitingEachOtherAreFreedWhenCancelled) {
  ManualScheduler s;
  Gate ready_a;
  Gate ready_b;
  std::optional<JoinHandle<void>> for_a;
  std::optional<JoinHandle<void>> for_b;
  auto ha = troupe::detail::spawn_on(s, await_other(ready_a, for_a));
  auto hb = troupe::detail::spawn_on(s, await_other(ready_b, for_b));
  for_a.emplace(std::move(hb));
  for_b.emplace(std::move(ha));
  ready_a.set();
  ready_b.set();
  s.run_until_idle();
  ASSERT_EQ(s.owned(), 2u) << "deadlocked on each other, as intended";
  s.close();
  s.run_until_idle();
  EXPECT_EQ(s.owned(), 0u);
}

TEST(JoinHandle, ARegisteredJoinerIsWokenOnceWhenTheTaskCompletes) {
  ManualScheduler s;
  Gate g;
  troupe::test::ProbeTask probe;
  auto h = troupe::detail::spawn_on(s, value_after(g, 1));
  s.run_until_idle();
  troupe::Context cx(probe);
  ASSERT_FALSE(h.poll(cx));
  ASSERT_FALSE(h.poll(cx)) << "polling again with the same waker stays pending";
  EXPECT_EQ(probe.wakes(), 0);
  g.set();
  s.run_until_idle();
  EXPECT_EQ(probe.wakes(), 1);
  EXPECT_TRUE(h.poll(cx));
  EXPECT_EQ(h.wait(), 1);
}

TEST(JoinHandle, PollingWithANewWakerReplacesTheOldOne) {
  ManualScheduler s;
  Gate g;
  troupe::test::ProbeTask first;
  troupe::test::ProbeTask second;
  auto h = troupe::detail::spawn_on(s, value_after(g, 1));
  s.run_until_idle();
  troupe::Context cx1(first);
  troupe::Context cx2(second);
  ASSERT_FALSE(h.poll(cx1));
  ASSERT_FALSE(h.poll(cx2));
  EXPECT_EQ(first.refs(), 1u) << "the replaced waker was released";
  g.set();
  s.run_until_idle();
  EXPECT_EQ(first.wakes(), 0);
  EXPECT_EQ(second.wakes(), 1);
  EXPECT_EQ(h.wait(), 1);
}

}  // namespace
