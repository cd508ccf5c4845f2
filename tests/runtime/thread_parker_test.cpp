#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <troupe/runtime/detail/thread_parker.hpp>
#include <troupe/runtime/waker.hpp>

namespace {

using troupe::Waker;
using troupe::detail::ParkerRef;

TEST(ThreadParker, AWakeBeforeParkIsRememberedSoParkReturnsAtOnce) {
  ParkerRef p;
  Waker w = p->waker();
  w.wake();
  p->park();  // would block forever if the wake had been lost
  SUCCEED();
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
  constexpr int kRounds = 100'000;
  ParkerRef a;
  ParkerRef b;
  int a_turns = 0;
  int b_turns = 0;
  std::thread other([&, wake_a = a->waker()] {
    for (int i = 0; i < kRounds; ++i) {
      b->park();
      ++b_turns;  // ordered by the parker's acquire/release
      wake_a.wake();
    }
  });
  const Waker wake_b = b->waker();
  for (int i = 0; i < kRounds; ++i) {
    wake_b.wake();
    a->park();
    ++a_turns;
  }
  other.join();
  EXPECT_EQ(a_turns, kRounds);
  EXPECT_EQ(b_turns, kRounds);
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
