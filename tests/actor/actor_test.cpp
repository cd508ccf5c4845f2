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
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/yield.hpp>

#include "../runtime/test_support.hpp"

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
  // The stop is a system message: the ask below may be queued before it is
  // handled, but then it fails when the actor stops, not at a timeout. The
  // timeout is the fail-fast deadline: an ask left waiting fails the test
  // with kTimeout in seconds.
  const auto start = std::chrono::steady_clock::now();
  const auto r = system.block_on([](ActorRef<Counter> c) -> Task<troupe::AskResult<std::int64_t>> {
    co_return co_await c.ask(Get{}, troupe::test::kFailFast);
  }(counter));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), AskError::kDeadActor) << troupe::to_string(r.error());
  EXPECT_LT(took, troupe::test::kFailFast / 2) << "it waited instead of failing at once";
  EXPECT_EQ(counter.tell(Add{1}), TellStatus::kDeadActor);
  EXPECT_GE(system.dead_letters(), 2u);
}

// --- Asks whose coroutine handler is running when the actor goes ---------------
// On the TestExecutor (one thread, virtual clock): each step is deterministic.

struct Hold {};  // its handler waits for the test's gate, then replies 42

// An actor whose coroutine handler for Hold waits on a gate it is given.
struct Holder : troupe::Actor<Holder> {
  Holder(troupe::test::Gate* gate, int* resumed) : gate(gate), resumed(resumed) {}
  Task<int> handle(Hold) {
    co_await *gate;
    ++*resumed;  // only if the handler ran on after the wait
    co_return 42;
  }
  std::int64_t handle(const Get&) { return 7; }
  troupe::test::Gate* gate;
  int* resumed;
};

// Asks `h` for Hold (with `timeout`), and records the one outcome it gets.
Task<void> ask_hold(ActorRef<Holder> h, troupe::Duration timeout,
                    std::vector<troupe::AskResult<int>>* outcomes) {
  outcomes->push_back(co_await h.ask(Hold{}, timeout));
}

TEST(Actor, AStopFailsTheAskWhoseCoroutineHandlerIsRunningOnceAndItsLateReplyIsDropped) {
  troupe::TestExecutor ex;
  ActorSystem system(ex);
  troupe::test::Gate gate;
  int resumed = 0;
  auto holder = system.spawn<Holder>(&gate, &resumed);
  std::vector<troupe::AskResult<int>> outcomes;
  auto asker = ex.spawn(ask_hold(holder, 10s, &outcomes));
  ex.run_until_idle();
  ASSERT_TRUE(gate.has_waiter()) << "the handler is running, waiting on the gate";
  ASSERT_TRUE(outcomes.empty());
  holder.stop();
  ex.run_until_idle();
  ASSERT_EQ(outcomes.size(), 1u) << "the stop did not fail the ask";
  ASSERT_FALSE(outcomes[0].has_value());
  EXPECT_EQ(outcomes[0].error(), AskError::kDeadActor) << troupe::to_string(outcomes[0].error());
  // What would have been a late reply: the gate opens, the ask's timeout
  // passes. Neither reaches the asker again, and the handler never ran on.
  gate.set();
  ex.advance_and_run(20s);
  EXPECT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(resumed, 0) << "the stop did not cancel the handler";
  EXPECT_TRUE(asker.is_finished());
  EXPECT_EQ(system.live_actors(), 0u);
}

// A parent whose restart takes its child (and the child's running handler)
// with it.
struct HolderParent : troupe::Actor<HolderParent> {
  HolderParent(troupe::test::Gate* gate, int* resumed, int* starts)
      : gate(gate), resumed(resumed), starts(starts) {}
  void on_start() {
    ++*starts;
    child = spawn<Holder>(gate, resumed);
  }
  ActorRef<Holder> handle(const Get&) { return child; }
  void handle(Boom) { throw std::runtime_error("parent boom"); }
  troupe::test::Gate* gate;
  int* resumed;
  int* starts;
  ActorRef<Holder> child;
};

TEST(Actor, ARestartFailsTheAskWhoseCoroutineHandlerIsRunningOnceAndItsLateReplyIsDropped) {
  troupe::TestExecutor ex;
  ActorSystem system(ex, {.top_level = troupe::SupervisorStrategy::one_for_one(1, 10s)});
  troupe::test::Gate gate;
  int resumed = 0;
  int starts = 0;
  auto parent = system.spawn<HolderParent>(&gate, &resumed, &starts);
  ex.run_until_idle();
  auto child_of = [&] {
    return ex.block_on([](ActorRef<HolderParent> p) -> Task<ActorRef<Holder>> {
      co_return (co_await p.ask(Get{})).value();
    }(parent));
  };
  auto first_child = child_of();
  std::vector<troupe::AskResult<int>> outcomes;
  auto asker = ex.spawn(ask_hold(first_child, 10s, &outcomes));
  ex.run_until_idle();
  ASSERT_TRUE(gate.has_waiter());
  // The parent fails and restarts: its old child stops, handler and all.
  parent.tell(Boom{});
  ex.run_until_idle();
  EXPECT_EQ(starts, 2) << "the parent was not restarted";
  ASSERT_EQ(outcomes.size(), 1u) << "the restart did not fail the ask";
  ASSERT_FALSE(outcomes[0].has_value());
  EXPECT_EQ(outcomes[0].error(), AskError::kDeadActor) << troupe::to_string(outcomes[0].error());
  gate.set();
  ex.advance_and_run(20s);
  EXPECT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(resumed, 0);
  EXPECT_TRUE(asker.is_finished());
  // The restarted parent's new child answers; the old one is gone.
  auto second_child = child_of();
  EXPECT_EQ(ex.block_on([](ActorRef<Holder> h) -> Task<std::int64_t> {
    co_return (co_await h.ask(Get{})).value();
  }(second_child)),
            7);
  EXPECT_EQ(first_child.tell(Get{}), TellStatus::kDeadActor);
}

// An ask that timed out while its handler ran: the asker has its kTimeout,
// and the reply the handler gives later goes nowhere; the actor goes on.
TEST(Actor, AReplyAfterTheAskTimedOutIsDroppedAndTheActorGoesOn) {
  troupe::TestExecutor ex;
  ActorSystem system(ex);
  troupe::test::Gate gate;
  int resumed = 0;
  auto holder = system.spawn<Holder>(&gate, &resumed);
  std::vector<troupe::AskResult<int>> outcomes;
  auto asker = ex.spawn(ask_hold(holder, 1s, &outcomes));
  ex.run_until_idle();
  ASSERT_TRUE(gate.has_waiter());
  ex.advance_and_run(1s);
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_FALSE(outcomes[0].has_value());
  EXPECT_EQ(outcomes[0].error(), AskError::kTimeout) << troupe::to_string(outcomes[0].error());
  gate.set();  // the handler replies now, to nobody
  ex.run_until_idle();
  EXPECT_EQ(resumed, 1);
  EXPECT_EQ(outcomes.size(), 1u);
  EXPECT_TRUE(asker.is_finished());
  EXPECT_EQ(ex.block_on([](ActorRef<Holder> h) -> Task<std::int64_t> {
    co_return (co_await h.ask(Get{})).value();
  }(holder)),
            7);
}

}  // namespace
