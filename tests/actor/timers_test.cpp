// Timers for actors on the TestExecutor's virtual clock: send_after,
// send_interval, cancellation, receive timeouts.

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/timers.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "../runtime/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::ActorSystem;
using troupe::Instant;
using troupe::TestExecutor;
using troupe::test::kT0;

struct Tick {
  int n;
};

struct Clocked : troupe::Actor<Clocked> {
  Clocked(TestExecutor* ex, std::vector<Instant>* at) : ex(ex), at(at) {}
  void handle(const Tick&) { at->push_back(ex->now()); }
  TestExecutor* ex;
  std::vector<Instant>* at;
};

TEST(Timers, SendAfterTellsOnceAfterTheDelay) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<Instant> at;
  auto a = system.spawn<Clocked>(&ex, &at);
  auto t = troupe::send_after(5s, a, Tick{1});
  ex.advance_and_run(4s);
  EXPECT_TRUE(at.empty());
  EXPECT_TRUE(t.is_active());
  ex.advance_and_run(1s);
  EXPECT_EQ(at, std::vector<Instant>{kT0 + 5s});
  EXPECT_FALSE(t.is_active());
}

TEST(Timers, ACancelledSendAfterNeverTells) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<Instant> at;
  auto a = system.spawn<Clocked>(&ex, &at);
  auto t = troupe::send_after(5s, a, Tick{1});
  ex.advance_and_run(1s);
  t.cancel();
  ex.advance_and_run(10s);
  EXPECT_TRUE(at.empty());
  EXPECT_EQ(ex.pending_timers(), 0u);
}

TEST(Timers, SendIntervalTellsEveryPeriodUntilCancelled) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<Instant> at;
  auto a = system.spawn<Clocked>(&ex, &at);
  auto t = troupe::send_interval(2s, a, Tick{0});
  for (int i = 0; i < 3; ++i) ex.advance_and_run(2s);
  t.cancel();
  ex.advance_and_run(10s);
  EXPECT_EQ(at, (std::vector<Instant>{kT0 + 2s, kT0 + 4s, kT0 + 6s}));
}

TEST(Timers, SendIntervalEndsWhenTheTargetStops) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<Instant> at;
  auto a = system.spawn<Clocked>(&ex, &at);
  auto t = troupe::send_interval(1s, a, Tick{0});
  ex.advance_and_run(1s);
  a.stop();
  ex.run_until_idle();
  ex.advance_and_run(1s);  // this tell finds the actor dead
  EXPECT_FALSE(t.is_active());
  EXPECT_EQ(at.size(), 1u);
}

struct Sleepy : troupe::Actor<Sleepy> {
  Sleepy(TestExecutor* ex, std::vector<Instant>* at) : ex(ex), at(at) { set_receive_timeout(3s); }
  void handle(const Tick&) {}
  void handle(const troupe::ReceiveTimeout&) { at->push_back(ex->now()); }
  TestExecutor* ex;
  std::vector<Instant>* at;
};

TEST(Timers, AReceiveTimeoutFiresAfterSilenceAndRestartsWithEachMessage) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<Instant> at;
  auto a = system.spawn<Sleepy>(&ex, &at);
  ex.run_until_idle();
  ex.advance_and_run(2s);
  a.tell(Tick{0});  // at 2 s: the silence starts over
  ex.run_until_idle();
  ex.advance_and_run(2s);
  EXPECT_TRUE(at.empty());
  ex.advance_and_run(1s);
  EXPECT_EQ(at, std::vector<Instant>{kT0 + 5s});
  ex.advance_and_run(3s);
  EXPECT_EQ(at, (std::vector<Instant>{kT0 + 5s, kT0 + 8s}));
}

struct Passive : troupe::Actor<Passive> {
  Passive(TestExecutor* ex, std::vector<Instant>* timeouts, std::vector<Instant>* stops)
      : ex(ex), timeouts(timeouts), stops(stops) {
    set_receive_timeout(3s);
  }
  void handle(const Tick&) {}
  void handle(const troupe::ReceiveTimeout&) { timeouts->push_back(ex->now()); }
  void on_stop(const troupe::ExitReason& why) {
    stops->push_back(ex->now());
    kinds.push_back(why.kind());
  }
  static inline std::vector<troupe::ExitReason::Kind> kinds;
  TestExecutor* ex;
  std::vector<Instant>* timeouts;
  std::vector<Instant>* stops;
};

TEST(Timers, StopWhenIdleStopsTheActorNormallyAfterSilenceAndEachMessageRestartsTheClock) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<Instant> timeouts;
  std::vector<Instant> stops;
  auto a = system.spawn_with<Passive>({.stop_when_idle = 10s}, &ex, &timeouts, &stops);
  ex.run_until_idle();
  ex.advance_and_run(4s);
  a.tell(Tick{0});  // at 4 s: both clocks start over
  ex.run_until_idle();
  ex.advance_and_run(9s);  // until 13 s: not yet idle for 10 s
  EXPECT_TRUE(stops.empty());
  EXPECT_EQ(system.live_actors(), 1u);
  // The receive timeouts (not messages) do not hold the stop back.
  EXPECT_EQ(timeouts, (std::vector<Instant>{kT0 + 3s, kT0 + 7s, kT0 + 10s, kT0 + 13s}));
  ex.advance_and_run(1s);
  EXPECT_EQ(stops, std::vector<Instant>{kT0 + 14s});
  EXPECT_EQ(Passive::kinds.back(), troupe::ExitReason::Kind::kNormal);
  EXPECT_EQ(system.live_actors(), 0u);
}

TEST(Timers, AnActorStoppedWhileItsIdleTimersAreArmedLeavesNoTimerBehind) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<Instant> timeouts;
  std::vector<Instant> stops;
  auto a = system.spawn_with<Passive>({.stop_when_idle = 10s}, &ex, &timeouts, &stops);
  ex.run_until_idle();
  EXPECT_EQ(ex.pending_timers(), 2u) << "the receive timeout and the stop, armed";
  a.stop();
  ex.run_until_idle();
  EXPECT_EQ(stops.size(), 1u);
  // An armed timer would hold the cell (its waker) and fire into a gone actor.
  EXPECT_EQ(ex.pending_timers(), 0u);
}

}  // namespace

namespace {

struct Stuck {};
struct Busy : troupe::Actor<Busy> {
  explicit Busy(troupe::test::Forever* f) : forever(f) {}
  troupe::Task<void> handle(Stuck) { co_await *forever; }  // holds the mailbox
  int handle(int v) { return v; }
  troupe::test::Forever* forever;
};

TEST(Timers, AnAskWithATimeoutFailsWithTimeoutWhenNoReplyComesInTime) {
  TestExecutor ex;
  ActorSystem system(ex);
  troupe::test::Forever forever;
  auto busy = system.spawn<Busy>(&forever);
  busy.tell(Stuck{});
  auto h = ex.spawn([](troupe::ActorRef<Busy> b) -> troupe::Task<troupe::AskResult<int>> {
    co_return co_await b.ask(7, 5s);
  }(busy));
  ex.run_until_idle();
  ex.advance_and_run(4s);
  EXPECT_FALSE(h.is_finished());
  ex.advance_and_run(1s);
  ASSERT_TRUE(h.is_finished());
  auto r = h.wait();
  EXPECT_EQ(r.error(), troupe::AskError::kTimeout);
  EXPECT_THROW(r.value(), troupe::AskFailed);
}

}  // namespace
