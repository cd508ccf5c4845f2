// Actor basics on a real runtime: tell, ask, coroutine handlers, ordering,
// lifecycle hooks, stop, dead letters.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/yield.hpp>

namespace {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::AskError;
using troupe::Task;
using troupe::TellStatus;

struct Add {
  std::int64_t amount;
};
struct Get {};
struct SlowAdd {
  std::int64_t amount;
};
struct Boom {};

struct Counter : troupe::Actor<Counter> {
  std::int64_t total = 0;
  void handle(const Add& m) { total += m.amount; }
  std::int64_t handle(const Get&) { return total; }
  Task<void> handle(SlowAdd m) {
    co_await troupe::yield_now();
    total += m.amount;
  }
  int handle(Boom) { throw std::runtime_error("boom"); }
};

TEST(Actor, TellThenAskSeesEveryEarlierTell) {
  ActorSystem system({.workers = 2});
  auto counter = system.spawn<Counter>();
  for (int i = 1; i <= 100; ++i) EXPECT_EQ(counter.tell(Add{i}), TellStatus::kQueued);
  auto total = system.block_on([](ActorRef<Counter> c) -> Task<std::int64_t> {
    auto r = co_await c.ask(Get{});
    co_return r.value();
  }(counter));
  EXPECT_EQ(total, 5050);
}

TEST(Actor, ACoroutineHandlerFinishesBeforeTheNextMessage) {
  ActorSystem system({.workers = 2});
  auto counter = system.spawn<Counter>();
  for (int i = 0; i < 50; ++i) {
    counter.tell(SlowAdd{1});
    counter.tell(Add{1});
  }
  auto total = system.block_on([](ActorRef<Counter> c) -> Task<std::int64_t> {
    co_return (co_await c.ask(Get{})).value();
  }(counter));
  EXPECT_EQ(total, 100);
}

TEST(Actor, AnAskWhoseHandlerThrowsFailsWithTheException) {
  ActorSystem system({.workers = 1});
  auto counter = system.spawn<Counter>();
  auto r = system.block_on([](ActorRef<Counter> c) -> Task<troupe::AskResult<int>> {
    co_return co_await c.ask(Boom{});
  }(counter));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), AskError::kFailed);
  EXPECT_THROW(r.value(), std::runtime_error);
}

TEST(Actor, AnAskToAStoppedActorFailsAtOnceAndTellsAreDeadLetters) {
  ActorSystem system({.workers = 1});
  auto counter = system.spawn<Counter>();
  counter.stop();
  system.block_on([](ActorRef<Counter> c) -> Task<void> {
    // The stop is a system message: the ask below may be queued before it
    // is handled, but then it fails when the actor stops, not at a timeout.
    auto r = co_await c.ask(Get{}, 1h);
    EXPECT_EQ(r.error(), AskError::kDeadActor);
  }(counter));
  EXPECT_EQ(counter.tell(Add{1}), TellStatus::kDeadActor);
  EXPECT_GE(system.dead_letters(), 2u);
}

}  // namespace
