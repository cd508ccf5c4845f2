#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>

#include <troupe/runtime/detail/thread_parker.hpp>
#include <troupe/runtime/waker.hpp>

#include "test_support.hpp"

namespace {

using troupe::Waker;
using troupe::detail::ParkerRef;

TEST(ThreadParker, AWakeBeforeParkIsRememberedSoParkReturnsAtOnce) {
  ParkerRef p;
  Waker w = p->waker();
  w.wake();
  // A lost wake would block park() forever: a second wake rescues it after
  // the fail-fast deadline, and the test fails.
  EXPECT_TRUE(troupe::test::returns_within(
      troupe::test::kFailFast, [&] { p->park(); }, [&] { p->waker().wake(); }))
      << "the wake that came before park() was lost";
}

TEST(ThreadParker, ParkReturnsAfterAWakeFromAnotherThread) {
  ParkerRef p;
  std::atomic<bool> before_wake{false};
  std::thread waker([&, w = p->waker()] {
    before_wake.store(true, std::memory_order_relaxed);
    w.wake();
  });
  p->park();
  // The wake (a release) happened after the store: park's acquire sees it.
  EXPECT_TRUE(before_wake.load(std::memory_order_relaxed));
  waker.join();
}

TEST(ThreadParker, PingPongBetweenTwoThreadsLosesNoWake) {
  // Up to kMaxRounds; the budget ends it sooner on a loaded machine, where
  // every wake waits for a time slice. A lost wake parks both threads for
  // good: the watchdog, fed by the turns, fails the test then.
  constexpr int kMaxRounds = 100'000;
  const troupe::test::RoundBudget budget(1'000, std::chrono::seconds(2));
  ParkerRef a;
  ParkerRef b;
  std::atomic<std::int64_t> a_turns{0};
  std::atomic<std::int64_t> b_turns{0};
  std::atomic<bool> stop{false};
  troupe::test::Watchdog watchdog("the parker ping-pong", troupe::test::kFailFast, &a_turns);
  std::thread other([&, wake_a = a->waker()] {
    for (;;) {
      b->park();
      if (stop.load()) return;
      b_turns.fetch_add(1);
      wake_a.wake();
    }
  });
  const Waker wake_b = b->waker();
  std::int64_t unmatched_at = -1;
  for (std::int64_t i = 0; i < kMaxRounds && budget.allows(i); ++i) {
    wake_b.wake();
    a->park();
    a_turns.fetch_add(1);
    // Only the other thread's turn wakes this one: the turns match.
    if (b_turns.load() != i + 1 && unmatched_at < 0) unmatched_at = i;
  }
  stop.store(true);
  wake_b.wake();
  other.join();
  EXPECT_EQ(unmatched_at, -1) << "park returned without the other thread's wake, round "
                              << unmatched_at;
  EXPECT_GE(a_turns.load(), 1'000);
  EXPECT_EQ(b_turns.load(), a_turns.load());
}

TEST(ThreadParker, SeveralWakesBeforeParkCoalesceIntoOne) {
  ParkerRef p;
  Waker w = p->waker();
  w.wake();
  w.wake();
  w.wake();
  p->park();
  // The three wakes were one token: had they been counted, this park would
  // return before the helper has even started.
  std::atomic<bool> second_wake_sent{false};
  std::thread helper([&] {
    second_wake_sent.store(true);
    w.wake();
  });
  p->park();
  EXPECT_TRUE(second_wake_sent.load());
  helper.join();
}

TEST(ThreadParker, AWakerKeepsTheParkerAliveAfterItsOwnerIsGone) {
  Waker survivor;
  {
    ParkerRef p;
    survivor = p->waker();
  }
  // Under ASan a freed parker would show up here.
  survivor.wake();
  survivor.wake_and_reset();
  EXPECT_FALSE(static_cast<bool>(survivor));
}

TEST(ThreadParker, WakersFromManyThreadsAllUnparkTheOwner) {
  constexpr int kThreads = 4;
  constexpr int kWakesEach = 10'000;
  ParkerRef p;
  std::atomic<int> sent{0};
  std::thread threads[kThreads];
  for (auto& t : threads) {
    t = std::thread([&, w = p->waker()] {
      for (int i = 0; i < kWakesEach; ++i) {
        sent.fetch_add(1);
        w.wake();
      }
    });
  }
  // Park until every wake has been sent: each park returns only after some
  // wake, and the last wake always comes after the last increment.
  while (sent.load() < kThreads * kWakesEach) p->park();
  for (auto& t : threads) t.join();
  EXPECT_EQ(sent.load(), kThreads * kWakesEach);
}

}  // namespace
