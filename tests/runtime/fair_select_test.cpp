// Turns::select, the fair select: every test here counts who wins, so that
// each one fails if the rotation is broken (a select that always starts at
// the first arm, or one whose start moves by one at every call).

#include <cstddef>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/channel.hpp>
#include <troupe/channels/stream.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/turns.hpp>
#include <troupe/runtime/yield.hpp>

#include "test_support.hpp"

namespace {

using troupe::Task;
using troupe::TestExecutor;
using troupe::Turns;
using troupe::test::Forever;
using troupe::test::LifeCounter;
using troupe::test::Tracked;

// A stream that always has an item: `tag` * 1'000'000 + its count.
troupe::Stream<int> fair_endless(int tag) {
  for (int i = 0;; ++i) co_yield tag * 1'000'000 + i;
}

// A Future that is ready at once with `value`.
template <class T>
class FairReady {
 public:
  explicit FairReady(T value) : value_(std::move(value)) {}
  bool poll(troupe::Context&) noexcept { return true; }
  T await_resume() { return std::move(value_); }

 private:
  T value_;
};

TEST(FairSelect, TwoAlwaysReadyStreamsAreServedInAlternation) {
  TestExecutor ex;
  const auto wins = ex.block_on([]() -> Task<std::vector<std::size_t>> {
    auto a = fair_endless(0);
    auto b = fair_endless(1);
    Turns turns;
    std::vector<std::size_t> wins(2);
    std::size_t last = 2;
    for (int call = 0; call < 1000; ++call) {
      auto r = co_await turns.select(a.next(), b.next());
      EXPECT_NE(r.index(), last) << "call " << call;  // never the same arm twice in a row
      last = r.index();
      ++wins[r.index()];
    }
    co_return wins;
  }());
  EXPECT_EQ(wins[0], 500u);
  EXPECT_EQ(wins[1], 500u);
}

// With a start that moved by one at every call, the arm after the idle one
// would take its turns too: b would win 2 calls in 3.
TEST(FairSelect, ThreeArmsWithOneNeverReadyShareTheWinsEvenly) {
  TestExecutor ex;
  const auto wins = ex.block_on([]() -> Task<std::vector<std::size_t>> {
    auto a = fair_endless(0);
    auto b = fair_endless(2);
    Forever never;
    Turns turns;
    std::vector<std::size_t> wins(3);
    for (int call = 0; call < 3000; ++call) {
      auto r = co_await turns.select(a.next(), never, b.next());
      ++wins[r.index()];
    }
    co_return wins;
  }());
  EXPECT_EQ(wins[0], 1500u);
  EXPECT_EQ(wins[1], 0u);
  EXPECT_EQ(wins[2], 1500u);
}

// Arms of different types: the variant's index and alternative are those of
// the argument that won, not its place in the poll order.
TEST(FairSelect, TheWinnersIndexIsItsArgumentPositionAfterTheRotation) {
  TestExecutor ex;
  const auto seen = ex.block_on([]() -> Task<std::string> {
    Turns turns;
    std::string seen;
    for (int call = 0; call < 6; ++call) {
      EXPECT_EQ(turns.next(), static_cast<std::size_t>(call % 3));
      auto r = co_await turns.select(FairReady<int>(7), FairReady<std::string>("s"),
                                     FairReady<char>('c'));
      switch (r.index()) {
        case 0:
          EXPECT_EQ(std::get<0>(r), 7);
          seen += "i";
          break;
        case 1:
          seen += std::get<1>(r);
          break;
        case 2:
          seen += std::get<2>(r);
          break;
      }
    }
    co_return seen;
  }());
  EXPECT_EQ(seen, "iscisc");
}

// The arm that lost while it was ready keeps its item: the next call gives
// that same item (b0 after a0, not b1), and nothing is lost or reordered.
TEST(FairSelect, AReadyLoserIsNotConsumed) {
  TestExecutor ex;
  auto [tx_a, rx_a] = troupe::channel::unbounded<int>();
  auto [tx_b, rx_b] = troupe::channel::unbounded<int>();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(tx_a.try_send(i).is_sent());
    ASSERT_TRUE(tx_b.try_send(100 + i).is_sent());
  }
  const auto got =
      ex.block_on([](troupe::Receiver<int>& a, troupe::Receiver<int>& b) -> Task<std::vector<int>> {
        Turns turns;
        std::vector<int> got;
        for (int call = 0; call < 10; ++call) {
          auto r = co_await turns.select(a.next(), b.next());
          // a's items leave at calls 0, 2, 4...; b's at 1, 3, 5...
          EXPECT_EQ(a.size(), static_cast<std::size_t>(5 - (call + 2) / 2)) << "call " << call;
          EXPECT_EQ(b.size(), static_cast<std::size_t>(5 - (call + 1) / 2)) << "call " << call;
          auto& item = r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
          EXPECT_TRUE(item.has_value());
          got.push_back(item.value_or(-1));
        }
        co_return got;
      }(rx_a, rx_b));
  EXPECT_EQ(got, (std::vector<int>{0, 100, 1, 101, 2, 102, 3, 103, 4, 104}));
  EXPECT_EQ(rx_a.size(), 0u);
  EXPECT_EQ(rx_b.size(), 0u);
}

// A Task arm runs in place (no spawn), takes its turn like a Future arm,
// and its frame is gone by the next statement whether it won or not.
TEST(FairSelect, TaskArmsTakeTurnsRunInPlaceAndAreDestroyedAfterTheStatement) {
  LifeCounter life;
  TestExecutor ex;
  auto finishes = [](LifeCounter& c, int v) -> Task<int> {
    Tracked t(c, v);
    co_return t.value();
  };
  const auto wins = ex.block_on(
      [](TestExecutor& ex, LifeCounter& c, auto finishes) -> Task<std::vector<std::size_t>> {
        auto s = fair_endless(1);
        Turns turns;
        std::vector<std::size_t> wins(2);
        for (int call = 0; call < 100; ++call) {
          auto r = co_await turns.select(finishes(c, call), s.next());
          EXPECT_EQ(ex.live_tasks(), 1u);
          EXPECT_EQ(c.live(), 0) << "call " << call;
          if (r.index() == 0) {
            EXPECT_EQ(std::get<0>(r), call);
          }
          ++wins[r.index()];
        }
        co_return wins;
      }(ex, life, finishes));
  EXPECT_EQ(wins[0], 50u);
  EXPECT_EQ(wins[1], 50u);
  EXPECT_EQ(life.live(), 0);
}

// A flooder task keeps its channel full; the test drops an item into a
// trickle channel now and then. With two arms, an item that is there when
// a call starts is received in that call or the next: never more than two
// calls after it was sent. A biased select would never take it.
TEST(FairSelect, ATrickleIsNotStarvedByAFlood) {
  constexpr int kTrickles = 50;
  int calls = 0;
  int flood_wins = 0;
  std::vector<int> lags;
  TestExecutor ex;  // declared after what its tasks point to: destroyed before it
  auto [flood_tx, flood_rx] = troupe::channel::bounded<int>(4);
  auto [trickle_tx, trickle_rx] = troupe::channel::unbounded<int>();

  ex.spawn([](troupe::Sender<int> tx) -> Task<void> {
      for (int i = 0;; ++i) {
        auto sent = co_await tx.send(i);
        if (!sent.is_sent()) co_return;
      }
    }(std::move(flood_tx)))
      .detach();
  auto consumer = ex.spawn([](troupe::Receiver<int> flood, troupe::Receiver<int> trickle,
                              int& calls, int& flood_wins, std::vector<int>& lags) -> Task<void> {
    Turns turns;
    while (lags.size() < static_cast<std::size_t>(kTrickles)) {
      auto r = co_await turns.select(flood.next(), trickle.next());
      ++calls;
      if (r.index() == 0) {
        ++flood_wins;
      } else {
        const int sent_at = std::get<1>(r).value_or(-1000);
        lags.push_back(calls - sent_at);
      }
      // Lets the flooder refill the slot just freed: the flood is ready at
      // every call.
      co_await troupe::yield_now();
    }
  }(std::move(flood_rx), std::move(trickle_rx), calls, flood_wins, lags));

  for (int k = 0; k < kTrickles; ++k) {
    ASSERT_TRUE(trickle_tx.try_send(calls).is_sent());  // stamped with the calls so far
    for (int s = 0; s < 20; ++s) ex.step();
  }
  ASSERT_EQ(lags.size(), static_cast<std::size_t>(kTrickles)) << "flood won " << flood_wins;
  for (std::size_t k = 0; k < lags.size(); ++k) {
    EXPECT_GE(lags[k], 1) << "trickle item " << k;
    EXPECT_LE(lags[k], 2) << "trickle item " << k;
  }
  EXPECT_EQ(flood_wins + kTrickles, calls);
  EXPECT_GE(flood_wins, 4 * kTrickles);  // it did flood: most calls found both ready
  ex.run_until_idle();
  EXPECT_TRUE(consumer.is_finished());
}

}  // namespace
