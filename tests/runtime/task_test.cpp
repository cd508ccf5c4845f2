#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

#include "test_support.hpp"

namespace {

using troupe::JoinHandle;
using troupe::Task;
using troupe::test::Gate;
using troupe::test::LifeCounter;
using troupe::test::ManualScheduler;
using troupe::test::Tracked;

// Runs `t` as a spawned task on a ManualScheduler, on this thread, until
// nothing is runnable, and returns its JoinHandle.
template <class T>
JoinHandle<T> spawn_and_run(ManualScheduler& s, Task<T> t) {
  auto h = troupe::detail::spawn_on(s, std::move(t));
  s.run_until_idle();
  return h;
}

template <class T>
T run(Task<T> t) {
  ManualScheduler s;
  auto h = spawn_and_run(s, std::move(t));
  if (!h.is_finished()) throw std::logic_error("task did not finish synchronously");
  return h.wait();
}

static_assert(!std::is_copy_constructible_v<Task<int>>);
static_assert(!std::is_copy_assignable_v<Task<int>>);
static_assert(std::is_nothrow_move_constructible_v<Task<int>>);
static_assert(std::is_nothrow_move_assignable_v<Task<int>>);
static_assert(!std::is_copy_constructible_v<Task<void>>);
static_assert(std::is_nothrow_move_constructible_v<Task<void>>);
static_assert(std::is_same_v<Task<>, Task<void>>);

Task<void> set_flag(bool& ran) {
  ran = true;
  co_return;
}

TEST(Task, BodyDoesNotRunUntilTheTaskIsAwaited) {
  bool ran = false;
  Task<void> t = set_flag(ran);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(static_cast<bool>(t));
  run(std::move(t));
  EXPECT_TRUE(ran);
}

TEST(Task, SpawnedBodyDoesNotRunUntilTheSchedulerRunsIt) {
  ManualScheduler s;
  bool ran = false;
  auto h = troupe::detail::spawn_on(s, set_flag(ran));
  EXPECT_FALSE(ran);
  EXPECT_EQ(s.queued(), 1u);
  s.run_one();
  EXPECT_TRUE(ran);
  EXPECT_TRUE(h.is_finished());
}

Task<int> add(int a, int b) { co_return a + b; }

TEST(Task, ReturnsItsValue) { EXPECT_EQ(run(add(20, 22)), 20 + 22); }

Task<int> add_via_child(int a, int b) {
  const int x = co_await add(a, b);
  co_return x * 2;
}

TEST(Task, AwaitingAChildGivesItsValue) { EXPECT_EQ(run(add_via_child(3, 4)), (3 + 4) * 2); }

Task<void> append(std::string& out, std::string what) {
  out += what;
  co_return;
}

Task<void> append_twice(std::string& out) {
  co_await append(out, "a");
  co_await append(out, "b");
}

TEST(Task, VoidTasksRunInOrder) {
  std::string out;
  run(append_twice(out));
  EXPECT_EQ(out, "ab");
}

Task<std::unique_ptr<int>> make_unique_value(int v) { co_return std::make_unique<int>(v); }

Task<int> unwrap_unique(int v) {
  auto p = co_await make_unique_value(v);
  co_return *p;
}

TEST(Task, MoveOnlyResultsArePassedThrough) { EXPECT_EQ(run(unwrap_unique(7)), 7); }

Task<int> throw_runtime_error(std::string msg) {
  throw std::runtime_error(msg);
  co_return 0;
}

Task<std::string> catch_child_error() {
  try {
    co_await throw_runtime_error("boom");
  } catch (const std::runtime_error& e) {
    co_return std::string("caught ") + e.what();
  }
  co_return "not thrown";
}

TEST(Task, ExceptionOfAChildIsRethrownAtTheCoAwait) {
  EXPECT_EQ(run(catch_child_error()), "caught boom");
}

Task<void> throw_void() {
  throw std::out_of_range("void boom");
  co_return;
}

Task<int> propagate() {
  co_await throw_void();
  co_return 1;
}

TEST(Task, UncaughtExceptionPropagatesThroughEveryAwaitingLevel) {
  EXPECT_THROW(run(propagate()), std::out_of_range);
}

Task<int> hold(Tracked probe) { co_return probe.value(); }

TEST(Task, DestroyingAnUnstartedTaskDestroysItsFrame) {
  LifeCounter c;
  {
    Task<int> t = hold(Tracked(c, 1));
    EXPECT_EQ(c.live(), 1) << "the parameter copy lives in the frame";
  }
  EXPECT_EQ(c.live(), 0);
  EXPECT_GT(c.created.load(), 0);
}

TEST(Task, MoveAssignmentDestroysTheOverwrittenFrame) {
  LifeCounter a;
  LifeCounter b;
  Task<int> t = hold(Tracked(a, 1));
  Task<int> u = hold(Tracked(b, 2));
  ASSERT_EQ(a.live(), 1);
  t = std::move(u);
  EXPECT_EQ(a.live(), 0);
  EXPECT_EQ(b.live(), 1);
  EXPECT_FALSE(static_cast<bool>(u));  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(run(std::move(t)), 2);
  EXPECT_EQ(b.live(), 0);
}

TEST(Task, ReleaseHandsOverTheFrame) {
  LifeCounter c;
  Task<int> t = hold(Tracked(c, 1));
  auto h = t.release();
  EXPECT_FALSE(static_cast<bool>(t));
  EXPECT_EQ(c.live(), 1);
  h.destroy();
  EXPECT_EQ(c.live(), 0);
}

TEST(Task, FrameIsDestroyedWhenTheTaskCompletes) {
  LifeCounter c;
  EXPECT_EQ(run(hold(Tracked(c, 5))), 5);
  EXPECT_EQ(c.live(), 0);
}

Task<int> one() { co_return 1; }

Task<std::int64_t> many_sync_awaits(std::int64_t n) {
  std::int64_t total = 0;
  for (std::int64_t i = 0; i < n; ++i) total += co_await one();
  co_return total;
}

// Each synchronously completing co_await is two symmetric transfers. Without
// the bounce through the worker, g++ 12 at -O0 and under ASan (no tail call)
// nests every transfer on the stack and overflows long before this ends.
TEST(Task, AMillionSynchronouslyCompletingAwaitsDoNotOverflowTheStack) {
  constexpr std::int64_t kN = 1'000'000;
  EXPECT_EQ(run(many_sync_awaits(kN)), kN);
}

Task<std::int64_t> nested(std::int64_t depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await nested(depth - 1);
}

TEST(Task, ARecursionChainOfAHundredThousandNestedAwaitsCompletes) {
  constexpr std::int64_t kDepth = 100'000;
  EXPECT_EQ(run(nested(kDepth)), kDepth);
}

Task<std::int64_t> nested_on_gate(std::int64_t depth, Gate& gate) {
  if (depth == 0) {
    co_await gate;
    co_return 0;
  }
  co_return 1 + co_await nested_on_gate(depth - 1, gate);
}

TEST(Task, ADeepChainSuspendedOnALeafResumesAllTheWayUp) {
  constexpr std::int64_t kDepth = 100'000;
  ManualScheduler s;
  Gate gate;
  auto h = spawn_and_run(s, nested_on_gate(kDepth, gate));
  ASSERT_FALSE(h.is_finished());
  ASSERT_TRUE(gate.has_waiter());
  gate.set();
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), kDepth);
}

// A leaf that is ready on its first poll never suspends the task.
struct Ready {
  int value;
  bool poll(troupe::Context&) noexcept { return true; }
  int await_resume() const noexcept { return value; }
};
static_assert(troupe::Future<Ready>);

Task<int> await_ready_leaves(int n) {
  int total = 0;
  for (int i = 0; i < n; ++i) total += co_await Ready{i};
  co_return total;
}

TEST(Task, AReadyLeafDoesNotSuspendTheTask) {
  ManualScheduler s;
  auto h = troupe::detail::spawn_on(s, await_ready_leaves(100));
  EXPECT_EQ(s.run_until_idle(), 1u) << "one run, no reschedule";
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 99 * 100 / 2);
}

Task<int> await_gate_then(Gate& g, int v) {
  co_await g;
  co_return v;
}

TEST(Task, AParkedTaskIsNotResumedBeforeItsLeafIsReady) {
  ManualScheduler s;
  Gate g;
  auto h = spawn_and_run(s, await_gate_then(g, 3));
  ASSERT_TRUE(g.has_waiter());
  // A spurious wake re-polls the leaf, which is still not ready.
  g.waker().wake();
  EXPECT_EQ(s.run_until_idle(), 1u);
  EXPECT_FALSE(h.is_finished());
  g.set();
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 3);
}

Task<std::int64_t> nested_holding(std::int64_t depth, Gate& gate, Tracked probe) {
  if (depth == 0) {
    co_await gate;
    co_return probe.value();
  }
  co_return 1 + co_await nested_holding(depth - 1, gate, probe);
}

// Cancelling destroys the root frame, whose destruction would destroy the
// awaited child from inside its own destructor, and so on down: one stack
// level per await level. The chain must be taken apart iteratively.
TEST(Task, CancellingADeepSuspendedChainDestroysEveryFrameWithoutRecursing) {
  constexpr std::int64_t kDepth = 100'000;
  LifeCounter c;
  ManualScheduler s;
  Gate gate;
  auto h = troupe::detail::spawn_on(s, nested_holding(kDepth, gate, Tracked(c)));
  s.run_until_idle();
  ASSERT_GT(c.live(), kDepth) << "every level holds a probe";
  h.cancel();
  s.run_until_idle();
  EXPECT_EQ(c.live(), 0);
  EXPECT_THROW(h.wait(), troupe::TaskCancelled);
}

/// Appends its id to a log when destroyed.
class OrderProbe {
 public:
  OrderProbe(std::vector<int>& log, int id) noexcept : log_(&log), id_(id) {}
  OrderProbe(const OrderProbe&) = delete;
  OrderProbe& operator=(const OrderProbe&) = delete;
  ~OrderProbe() { log_->push_back(id_); }

 private:
  std::vector<int>* log_;
  int id_;
};

Task<int> nested_logging(int depth, Gate& gate, std::vector<int>& log) {
  OrderProbe probe(log, depth);
  if (depth == 0) {
    co_await gate;
    co_return 0;
  }
  co_return co_await nested_logging(depth - 1, gate, log);
}

// A child may use its parents' locals until its own scope ends (it got them
// by reference), so the innermost frame has to go first, as on unwinding.
TEST(Task, DestroyingASuspendedChainDestroysTheInnermostFrameFirst) {
  constexpr int kDepth = 5;
  std::vector<int> log;
  ManualScheduler s;
  Gate gate;
  auto h = troupe::detail::spawn_on(s, nested_logging(kDepth, gate, log));
  s.run_until_idle();
  ASSERT_TRUE(log.empty());
  h.cancel();
  s.run_until_idle();
  std::vector<int> innermost_first;
  for (int d = 0; d <= kDepth; ++d) innermost_first.push_back(d);
  EXPECT_EQ(log, innermost_first);
}

}  // namespace
