#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/channel.hpp>
#include <troupe/channels/stream.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/yield.hpp>

#include "../runtime/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::Stream;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::Gate;
using troupe::test::LifeCounter;
using troupe::test::Tracked;

static_assert(troupe::AsyncStream<Stream<int>>);
static_assert(troupe::AsyncStream<Stream<std::unique_ptr<int>>>);
static_assert(!std::is_copy_constructible_v<Stream<int>>);

Stream<int> count_to(int n) {
  for (int i = 0; i < n; ++i) co_yield i;
}

template <class T>
Task<std::vector<T>> drain(Stream<T> s) {
  std::vector<T> out;
  while (auto v = co_await s.next()) out.push_back(std::move(*v));
  co_return out;
}

TEST(Stream, YieldsItsItemsInOrderThenEnds) {
  TestExecutor ex;
  EXPECT_EQ(ex.block_on(drain(count_to(5))), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Stream, AnEmptyBodyIsAnEmptyStream) {
  TestExecutor ex;
  EXPECT_TRUE(ex.block_on(drain(count_to(0))).empty());
}

TEST(Stream, IsLazyAndRunsTheBodyOnlyUpToTheNextYield) {
  TestExecutor ex;
  std::vector<int> trace;
  auto body = [](std::vector<int>& t) -> Stream<int> {
    t.push_back(1);
    co_yield 10;
    t.push_back(2);
    co_yield 20;
    t.push_back(3);
  };
  Stream<int> s = body(trace);
  EXPECT_TRUE(trace.empty());
  auto consume = [](Stream<int>& s, std::vector<int>& t) -> Task<void> {
    auto a = co_await s.next();
    t.push_back(*a);
    auto b = co_await s.next();
    t.push_back(*b);
  };
  ex.block_on(consume(s, trace));
  EXPECT_EQ(trace, (std::vector<int>{1, 10, 2, 20}));
}

TEST(Stream, StaysEndedAfterTheEnd) {
  TestExecutor ex;
  auto consume = []() -> Task<int> {
    auto s = count_to(1);
    int ends = 0;
    (void)co_await s.next();
    for (int i = 0; i < 3; ++i) ends += !(co_await s.next()).has_value();
    co_return ends;
  };
  EXPECT_EQ(ex.block_on(consume()), 3);
}

Stream<int> ticks(int n, troupe::Duration every) {
  for (int i = 0; i < n; ++i) {
    co_await troupe::sleep_for(every);
    co_yield i;
  }
}

TEST(Stream, CanAwaitFuturesBetweenItemsOnTheVirtualClock) {
  TestExecutor ex;
  auto h = ex.spawn(drain(ticks(3, 10ms)));
  ex.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  ex.advance_and_run(10ms);
  ex.advance_and_run(10ms);
  EXPECT_FALSE(h.is_finished());
  ex.advance_and_run(10ms);
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(
      ex.block_on([](auto h) -> Task<std::vector<int>> { co_return co_await h; }(std::move(h))),
      (std::vector<int>{0, 1, 2}));
}

Task<int> doubled_later(int v) {
  co_await troupe::yield_now();
  co_return 2 * v;
}

Task<int> nested(int v) { co_return co_await doubled_later(v) + 1; }

Stream<int> through_child_tasks(int n) {
  for (int i = 0; i < n; ++i) co_yield co_await nested(i);
}

TEST(Stream, CanAwaitChildTasksThatSuspend) {
  TestExecutor ex;
  EXPECT_EQ(ex.block_on(drain(through_child_tasks(4))), (std::vector<int>{1, 3, 5, 7}));
}

TEST(Stream, AnExceptionReachesTheConsumerAndThenTheStreamEnds) {
  TestExecutor ex;
  auto body = []() -> Stream<int> {
    co_yield 1;
    throw std::runtime_error("boom");
  };
  auto consume = [](Stream<int> s) -> Task<std::vector<int>> {
    std::vector<int> seen;
    seen.push_back(*co_await s.next());
    try {
      (void)co_await s.next();
      seen.push_back(-1);
    } catch (const std::runtime_error& e) {
      seen.push_back(e.what() == std::string("boom") ? 100 : -2);
    }
    seen.push_back((co_await s.next()).has_value() ? -3 : 200);
    co_return seen;
  };
  EXPECT_EQ(ex.block_on(consume(body())), (std::vector<int>{1, 100, 200}));
}

TEST(Stream, DestroyingItWhileSuspendedInAChildDestroysEveryFrame) {
  TestExecutor ex;
  LifeCounter life;
  Gate gate;
  auto child = [](LifeCounter& life, Gate& gate) -> Task<int> {
    Tracked t(life);
    co_await gate;
    co_return t.value();
  };
  auto body = [&]() -> Stream<int> {
    Tracked t(life);
    co_yield 1;
    co_yield co_await child(life, gate);
  };
  auto consume = [](Stream<int>& s) -> Task<void> {
    (void)co_await s.next();
    (void)co_await s.next();  // parks in the child, on the gate
  };
  {
    Stream<int> s = body();
    auto h = ex.spawn(consume(s));
    ex.run_until_idle();
    EXPECT_TRUE(gate.has_waiter());
    EXPECT_EQ(life.live(), 2);
    h.cancel();
    ex.run_until_idle();
  }
  EXPECT_EQ(life.live(), 0);
}

TEST(Stream, AMillionSynchronousYieldsDoNotGrowTheStack) {
  TestExecutor ex;
  auto sum = [](Stream<int> s) -> Task<std::int64_t> {
    std::int64_t total = 0;
    while (auto v = co_await s.next()) total += *v;
    co_return total;
  };
  constexpr int kN = 1'000'000;
  EXPECT_EQ(ex.block_on(sum(count_to(kN))), std::int64_t{kN} * (kN - 1) / 2);
}

TEST(Stream, AnyStreamConvertsToAStream) {
  TestExecutor ex;
  auto [tx, rx] = troupe::channel::unbounded<int>();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tx.try_send(i));
  tx.close();
  Stream<long> erased = rx;  // Receiver<int> -> Stream<long>
  EXPECT_EQ(ex.block_on(drain(std::move(erased))), (std::vector<long>{0, 1, 2}));
}

TEST(Stream, MayBeConsumedByOneTaskThenAnotherOnAMultiWorkerRuntime) {
  troupe::Runtime rt({.workers = 2});
  auto [tx, rx] = troupe::channel::bounded<int>(1);
  auto relay = [](troupe::Receiver<int> rx) -> Stream<int> {
    while (auto v = co_await rx.recv()) co_yield *v * 10;
  };
  auto producer = [](troupe::Sender<int> tx, int n) -> Task<void> {
    for (int i = 0; i < n; ++i) (void)co_await tx.send(i);
  };
  auto take_some = [](Stream<int> s, int n) -> Task<std::pair<Stream<int>, std::int64_t>> {
    std::int64_t sum = 0;
    for (int i = 0; i < n; ++i) sum += *co_await s.next();
    co_return std::pair{std::move(s), sum};
  };
  constexpr int kN = 20'000;
  auto prod = rt.spawn(producer(std::move(tx), kN));
  auto [rest, first] = rt.block_on(take_some(relay(std::move(rx)), kN / 2));
  const std::int64_t second = rt.block_on([](Stream<int> s) -> Task<std::int64_t> {
    std::int64_t sum = 0;
    while (auto v = co_await s.next()) sum += *v;
    co_return sum;
  }(std::move(rest)));
  prod.wait();
  EXPECT_EQ(first + second, std::int64_t{10} * kN * (kN - 1) / 2);
}

}  // namespace
