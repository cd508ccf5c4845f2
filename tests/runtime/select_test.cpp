#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>

#include <gtest/gtest.h>

#include <troupe/channels/channel.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/yield.hpp>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::Forever;
using troupe::test::Gate;
using troupe::test::LifeCounter;
using troupe::test::Tracked;
using troupe::test::value_after;

TEST(Select, TheFirstArmToBeReadyWinsAndItsValueIsInTheVariant) {
  TestExecutor ex;
  auto h = ex.spawn([]() -> Task<std::size_t> {
    auto r = co_await troupe::select(value_after(2s, 2), value_after(1s, 1), troupe::sleep_for(3s));
    EXPECT_EQ(std::get<1>(r), 1);
    co_return r.index();
  }());
  ex.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  ex.advance_and_run(1s);
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(ex.block_on([](auto h) -> Task<std::size_t> { co_return co_await h; }(std::move(h))),
            1u);
}

TEST(Select, WhenSeveralAreReadyTheEarliestArgumentWins) {
  TestExecutor ex;
  auto r = ex.block_on([]() -> Task<std::size_t> {
    Gate a;
    Gate b;
    a.set();
    b.set();
    auto r = co_await troupe::select(b, a);  // borrowed: both outlive the select
    co_return r.index();
  }());
  EXPECT_EQ(r, 0u);
}

TEST(Select, VoidArmsAppearAsMonostate) {
  TestExecutor ex;
  auto r = ex.block_on([]() -> Task<bool> {
    auto r = co_await troupe::select(troupe::sleep_for(1s), value_after(1h, 0));
    co_return std::holds_alternative<std::monostate>(r);
  }());
  EXPECT_TRUE(r);
}

TEST(Select, TaskArmsRunInsideTheAwaitingTaskWithoutASpawn) {
  TestExecutor ex;
  Gate gate;
  auto waits = [](Gate& g) -> Task<int> {
    co_await g;
    co_return 7;
  };
  auto h = ex.spawn([](Gate& g, auto waits) -> Task<int> {
    Forever never;
    auto r = co_await troupe::select(waits(g), never);
    co_return std::get<0>(r);
  }(gate, waits));
  ex.run_until_idle();
  EXPECT_EQ(ex.live_tasks(), 1u);
  EXPECT_TRUE(gate.has_waiter());
  gate.set();
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 7);
}

TEST(Select, LosingTaskArmsAreDestroyedBeforeTheNextStatement) {
  LifeCounter life;
  TestExecutor ex;
  auto holds = [](LifeCounter& c) -> Task<int> {
    Tracked t(c);
    co_await troupe::sleep_for(1h);
    co_return 0;
  };
  auto h = ex.spawn([](LifeCounter& c, auto holds) -> Task<int> {
    auto r = co_await troupe::select(holds(c), holds(c), value_after(1s, 5));
    co_return c.live() * 10 + std::get<2>(r);
  }(life, holds));
  ex.run_until_idle();
  EXPECT_EQ(life.live(), 2);
  ex.advance_and_run(1s);
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 5);  // no Tracked left alive when the select returned
  EXPECT_EQ(ex.pending_timers(), 0u);
}

TEST(Select, AnExceptionOfTheWinningArmPropagates) {
  TestExecutor ex;
  auto throws = []() -> Task<int> {
    co_await troupe::yield_now();
    throw std::runtime_error("arm failed");
  };
  auto h = ex.spawn([](auto throws) -> Task<std::string> {
    try {
      (void)co_await troupe::select(throws(), troupe::sleep_for(1s));
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  }(throws));
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), "arm failed");
}

TEST(Select, CancellingTheAwaitingTaskDestroysEveryArm) {
  LifeCounter life;
  TestExecutor ex;
  auto holds = [](LifeCounter& c) -> Task<void> {
    Tracked t(c);
    co_await troupe::sleep_for(1h);
  };
  auto h = ex.spawn([](LifeCounter& c, auto holds) -> Task<void> {
    (void)co_await troupe::select(holds(c), holds(c));
  }(life, holds));
  ex.run_until_idle();
  EXPECT_EQ(life.live(), 2);
  h.cancel();
  ex.run_until_idle();
  EXPECT_EQ(life.live(), 0);
  EXPECT_EQ(ex.pending_timers(), 0u);
}

TEST(Select, AStreamItemIsNotLostWhenTheTimerWins) {
  TestExecutor ex;
  auto [tx, rx] = troupe::channel::unbounded<int>();
  auto h = ex.spawn([](troupe::Receiver<int> rx) -> Task<int> {
    int timeouts = 0;
    for (;;) {
      auto r = co_await troupe::select(rx.next(), troupe::sleep_for(1s));
      if (r.index() == 1) {
        ++timeouts;
        continue;
      }
      EXPECT_EQ(std::get<0>(r), 42);
      co_return timeouts;
    }
  }(std::move(rx)));
  ex.run_until_idle();
  ex.advance_and_run(1s);
  ex.advance_and_run(1s);
  ASSERT_TRUE(tx.try_send(42).is_sent());
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 2);
}

TEST(Race, GivesTheWinnersValue) {
  TestExecutor ex;
  auto h = ex.spawn([]() -> Task<int> {
    co_return co_await troupe::race(value_after(3s, 3), value_after(2s, 2), value_after(4s, 4));
  }());
  ex.run_until_idle();
  ex.advance_and_run(2s);
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 2);
}

// Two channels fed from plain threads, drained by one task that selects
// between them with a timer arm that keeps winning now and then: every item
// arrives exactly once.
TEST(Select, StressTwoChannelsAndATimerOnAMultiWorkerRuntimeLoseNothing) {
  troupe::Runtime rt({.workers = 2});
  auto [tx_a, rx_a] = troupe::channel::bounded<std::int64_t>(4);
  auto [tx_b, rx_b] = troupe::channel::bounded<std::int64_t>(4);
  // Up to kN items per producer; the budget ends them sooner on a loaded
  // machine. Each producer counts what it sent (no ASSERT off the test
  // thread: a failed send is counted and checked here).
  constexpr std::int64_t kN = 50'000;
  const troupe::test::RoundBudget budget(5'000, std::chrono::seconds(2));
  std::atomic<std::int64_t> sent_a{0};
  std::atomic<std::int64_t> sent_b{0};
  std::atomic<int> failed_sends{0};
  auto produce = [&](troupe::Sender<std::int64_t> tx, std::int64_t first,
                     std::atomic<std::int64_t>& sent) {
    for (std::int64_t i = 0; i < kN && budget.allows(i); ++i) {
      if (!tx.send_blocking(first + i).is_sent()) {
        failed_sends.fetch_add(1);
        return;
      }
      sent.fetch_add(1);
    }
  };
  std::thread pa(produce, std::move(tx_a), 0, std::ref(sent_a));
  std::thread pb(produce, std::move(tx_b), kN, std::ref(sent_b));
  const auto [count, sum] = rt.block_on(
      [](troupe::Receiver<std::int64_t> a,
         troupe::Receiver<std::int64_t> b) -> Task<std::pair<std::int64_t, std::int64_t>> {
        // An arm whose channel ended is swapped for one that never has items.
        auto [idle_tx, idle_rx] = troupe::channel::unbounded<std::int64_t>();
        std::int64_t count = 0;
        std::int64_t sum = 0;
        bool a_open = true;
        bool b_open = true;
        while (a_open || b_open) {
          auto r = co_await troupe::select(a.next(), b.next(), troupe::sleep_for(1us));
          if (r.index() == 2) continue;
          auto& item = r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
          if (!item) {
            (r.index() == 0 ? a_open : b_open) = false;
            (r.index() == 0 ? a : b) = idle_rx;
            continue;
          }
          ++count;
          sum += *item;
        }
        co_return std::pair{count, sum};
      }(std::move(rx_a), std::move(rx_b)));
  pa.join();
  pb.join();
  EXPECT_EQ(failed_sends.load(), 0);
  const std::int64_t na = sent_a.load();
  const std::int64_t nb = sent_b.load();
  EXPECT_GE(na, 5'000);
  EXPECT_GE(nb, 5'000);
  EXPECT_EQ(count, na + nb);
  // a sent 0 .. na-1, b sent kN .. kN+nb-1.
  EXPECT_EQ(sum, na * (na - 1) / 2 + nb * kN + nb * (nb - 1) / 2);
}

}  // namespace
