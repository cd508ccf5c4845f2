#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/yield.hpp>

#include "test_support.hpp"

namespace {

using troupe::Task;
using troupe::TestExecutor;
using troupe::test::Gate;
using troupe::test::set_flag;

Task<void> log_and_yield(std::string& log, char c, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    log += c;
    co_await troupe::yield_now();
  }
}

TEST(Yield, InterleavesTwoTasksDeterministically) {
  TestExecutor ex;
  std::string log;
  auto a = ex.spawn(log_and_yield(log, 'a', 3));
  auto b = ex.spawn(log_and_yield(log, 'b', 3));
  ex.run_until_idle();
  EXPECT_EQ(log, "ababab");
  EXPECT_TRUE(a.is_finished() && b.is_finished());
}

TEST(Yield, ALoneTaskIsRescheduledOnceAndThenResumes) {
  TestExecutor ex;
  std::string log;
  auto h = ex.spawn(log_and_yield(log, 'x', 1));
  ASSERT_TRUE(ex.step());
  EXPECT_FALSE(h.is_finished());
  EXPECT_EQ(ex.ready_tasks(), 1u) << "it woke itself: ready again at once";
  ASSERT_TRUE(ex.step());
  EXPECT_TRUE(h.is_finished());
  EXPECT_FALSE(ex.step());
}

Task<void> wake_other_then_yield(Gate& gate, std::string& log) {
  log += "1";
  gate.set();  // the other task becomes ready while this one runs
  co_await troupe::yield_now();
  log += "3";
}

Task<void> wait_and_log(Gate& gate, std::string& log) {
  co_await gate;
  log += "2";
}

TEST(Yield, GoesBehindATaskThatWasWokenBeforeIt) {
  TestExecutor ex;
  Gate gate;
  std::string log;
  auto waiter = ex.spawn(wait_and_log(gate, log));
  ex.run_until_idle();
  auto yielder = ex.spawn(wake_other_then_yield(gate, log));
  ex.run_until_idle();
  EXPECT_EQ(log, "123");
}

// --- On the real Runtime. ---

// Yields until `flag` is set; gives up at the fail-fast deadline. Returns
// how many yields it took, or -1 if it gave up.
Task<int> spin_until(std::atomic<bool>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + troupe::test::kFailFast;
  int yields = 0;
  while (!flag.load()) {
    if (std::chrono::steady_clock::now() > deadline) co_return -1;
    co_await troupe::yield_now();
    ++yields;
  }
  co_return yields;
}

TEST(Yield, OnASingleWorkerAYieldingLoopLetsAnotherTaskRun) {
  // Without the yield, the spinning task would own the only worker until
  // it gave up. The spinner is queued first, so it runs first and finds
  // the flag unset: the setter can only run in one of its yields.
  troupe::Runtime rt({.workers = 1});
  std::atomic<bool> flag{false};
  auto spinner = rt.spawn(spin_until(flag));
  auto setter = rt.spawn(set_flag(flag));
  const int yields = spinner.wait();
  setter.wait();
  EXPECT_NE(yields, -1) << "the other task never ran while this one yielded";
  EXPECT_GE(yields, 1);
  EXPECT_TRUE(flag.load());
}

Task<int> yield_many(int n) {
  for (int i = 0; i < n; ++i) co_await troupe::yield_now();
  co_return n;
}

TEST(Yield, OnTheRuntimeManyYieldingTasksAllFinish) {
  troupe::Runtime rt({.workers = 2});
  std::vector<troupe::JoinHandle<int>> handles;
  for (int i = 0; i < 100; ++i) handles.push_back(rt.spawn(yield_many(100)));
  int total = 0;
  for (auto& h : handles) total += h.wait();
  EXPECT_EQ(total, 100 * 100);
}

}  // namespace
