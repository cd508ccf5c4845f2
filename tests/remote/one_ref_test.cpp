// One handle for an actor wherever it lives: the ActorRef a node's lookup
// gives is the type spawn gives, with the same tell, send, ask, monitor,
// link and stop; what cannot cross to another node is a dead letter with
// its reason, never a crash.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/yield.hpp>

#include "nodes.hpp"
#include "test_actors.hpp"

namespace {

using namespace std::chrono_literals;
using remote_test::ChildNode;
using remote_test::Echo;
using remote_test::Local;
using remote_test::ping;
using troupe::ActorRef;
using troupe::AskError;
using troupe::Task;
using troupe::TellStatus;

// What a local actor linked to or monitoring a remote one was told.
struct OneRefEvent {
  bool exit = false;  // Exit (a link), else Down (a monitor)
  troupe::ActorId actor = 0;
  troupe::ExitReason reason;
};

struct OneRefObserver : troupe::Actor<OneRefObserver> {
  explicit OneRefObserver(troupe::MpscSender<OneRefEvent> out) : out(std::move(out)) {}
  void handle(const troupe::Down& d) { (void)out.try_send(OneRefEvent{false, d.actor, d.reason}); }
  void handle(const troupe::Exit& x) { (void)out.try_send(OneRefEvent{true, x.actor, x.reason}); }
  void handle(int) {}
  troupe::MpscSender<OneRefEvent> out;
};

Task<std::optional<OneRefEvent>> next_event(troupe::MpscReceiver<OneRefEvent>& rx) {
  auto r = co_await troupe::select(rx.recv(), troupe::sleep_for(20s));
  if (r.index() != 0) co_return std::nullopt;
  co_return std::get<0>(std::move(r));
}

static_assert(std::is_same_v<decltype(std::declval<troupe::remote::Node&>().lookup<Echo>("", "")),
                             Task<troupe::remote::LookupResult<Echo>>> &&
                  std::is_same_v<troupe::remote::LookupResult<Echo>::value_type, ActorRef<Echo>>,
              "a node's lookup gives the ActorRef that spawn gives");

TEST(OneRef, OneFunctionServesALocalAndARemoteActor) {
  ChildNode child({});
  Local local;
  ActorRef<Echo> here = local.system.spawn<Echo>();
  ActorRef<Echo> there = local.lookup<Echo>(child.address(), "echo");
  EXPECT_FALSE(here.is_remote());
  EXPECT_TRUE(there.is_remote());
  EXPECT_EQ(there.node(), child.address());
  EXPECT_EQ(there.incarnation(), child.incarnation());
  EXPECT_EQ(local.run(ping(here, 1)), 2);
  EXPECT_EQ(local.run(ping(there, 10)), 11);
  // co_await send, the same way.
  const auto sent = local.run([](ActorRef<Echo> a, ActorRef<Echo> b) -> Task<int> {
    remote_test::Ping p;
    const TellStatus first = co_await a.send(p);
    const TellStatus second = co_await b.send(p);
    co_return (first == TellStatus::kQueued) + (second == TellStatus::kQueued);
  }(here, there));
  EXPECT_EQ(sent, 2);
  // Two lookups of one actor are one actor.
  EXPECT_EQ(there, local.lookup<Echo>(child.address(), "echo"));
  EXPECT_NE(there, here);
}

TEST(OneRef, WhatCannotCrossToAnotherNodeIsADeadLetterWithItsReason) {
  ChildNode child({});
  Local local;
  std::mutex m;
  std::vector<troupe::DeadLetterReason> reasons;
  local.system.on_dead_letter([&](const troupe::DeadLetter& d) {
    std::lock_guard lock(m);
    reasons.push_back(d.reason);
  });
  ActorRef<Echo> there = local.lookup<Echo>(child.address(), "echo");
  const auto before = local.system.dead_letters();
  EXPECT_EQ(there.tell(remote_test::Pong{}), TellStatus::kLocalOnly) << "not in Echo's messages";
  EXPECT_EQ(there.tell(7), TellStatus::kLocalOnly) << "not a protobuf message";
  auto asked = local.run([](ActorRef<Echo> e) -> Task<troupe::AskResult<void>> {
    auto r = co_await e.ask(remote_test::Pong{}, 10s);
    co_return r;
  }(there));
  ASSERT_FALSE(asked.has_value());
  EXPECT_EQ(asked.error(), AskError::kBadMessage);
  EXPECT_EQ(local.system.dead_letters(), before + 3);
  {
    std::lock_guard lock(m);
    ASSERT_EQ(reasons.size(), 3u);
    for (auto r : reasons) EXPECT_EQ(r, troupe::DeadLetterReason::kLocalOnly);
  }
  // The same messages to a local Echo are handled: they are only local.
  ActorRef<Echo> here = local.system.spawn<Echo>();
  EXPECT_EQ(here.tell(remote_test::Pong{}), TellStatus::kQueued);
  EXPECT_EQ(here.tell(7), TellStatus::kQueued);
  // And the remote actor was not disturbed.
  EXPECT_EQ(local.run(ping(there, 1)), 2);
}

TEST(OneRef, StopReachesAnActorOnAnotherNode) {
  ChildNode child({});
  Local local;
  ActorRef<Echo> there = local.lookup<Echo>(child.address(), "echo");
  auto [tx, rx] = troupe::channel::mpsc::unbounded<OneRefEvent>();
  auto observer = local.system.spawn<OneRefObserver>(std::move(tx));
  there.monitor(observer);
  EXPECT_EQ(local.run(ping(there, 1)), 2);  // the monitor went before this ask
  there.stop();
  auto event = local.run(next_event(rx));
  ASSERT_TRUE(event.has_value()) << "no Down within 20 s";
  EXPECT_FALSE(event->exit);
  EXPECT_EQ(event->actor, there.id());
  EXPECT_EQ(event->reason.kind(), troupe::ExitReason::Kind::kStopped);
  auto after = local.run([](ActorRef<Echo> e) -> Task<troupe::AskResult<remote_test::Pong>> {
    auto r = co_await e.ask(remote_test::Ping{}, 10s);
    co_return r;
  }(there));
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error(), AskError::kDeadActor);
}

TEST(OneRef, ALinkToARemoteActorBringsExitWhenItsNodeIsLost) {
  ChildNode child({});
  Local local;
  ActorRef<Echo> there = local.lookup<Echo>(child.address(), "echo");
  auto [tx, rx] = troupe::channel::mpsc::unbounded<OneRefEvent>();
  auto linked = local.system.spawn<OneRefObserver>(std::move(tx));
  there.link(linked);
  EXPECT_EQ(local.run(ping(there, 1)), 2);  // the link's monitor went before this ask
  child.kill();
  auto event = local.run(next_event(rx));
  ASSERT_TRUE(event.has_value()) << "no Exit within 20 s";
  EXPECT_TRUE(event->exit);
  EXPECT_EQ(event->actor, there.id());
  EXPECT_EQ(event->reason.kind(), troupe::ExitReason::Kind::kNodeDown);
}

TEST(OneRef, ALinkToARemoteActorThatStopsNormallyBringsNothing) {
  ChildNode child({});
  Local local;
  ActorRef<Echo> there = local.lookup<Echo>(child.address(), "echo");
  auto [tx, rx] = troupe::channel::mpsc::unbounded<OneRefEvent>();
  auto linked = local.system.spawn<OneRefObserver>(std::move(tx));
  there.link(linked);
  // A monitor of the same actor shows when its end has arrived here.
  auto [mtx, mrx] = troupe::channel::mpsc::unbounded<OneRefEvent>();
  auto monitor = local.system.spawn<OneRefObserver>(std::move(mtx));
  there.monitor(monitor);
  EXPECT_EQ(local.run(ping(there, 1)), 2);
  EXPECT_EQ(there.tell(remote_test::Quit{}), TellStatus::kQueued);  // stops normally
  auto down = local.run(next_event(mrx));
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->reason.kind(), troupe::ExitReason::Kind::kNormal);
  // Both watchers were told by the same Down, the linked one first; an
  // Exit would be among its system messages, which are handled before its
  // mailbox: once an ask through the mailbox is answered, it would be out.
  auto synced = local.run([](ActorRef<OneRefObserver> o) -> Task<bool> {
    auto r = co_await o.ask(0, 10s);
    co_return r.has_value();
  }(linked));
  ASSERT_TRUE(synced);
  EXPECT_FALSE(rx.try_recv()) << "a normal stop brings no Exit over a link";
}

TEST(OneRef, AnAddressOfThisNodeGivesTheLocalActor) {
  Local local;
  ActorRef<Echo> echo = local.system.spawn<Echo>();
  ASSERT_TRUE(local.node->publish("echo", echo));
  ActorRef<Echo> again =
      local.node->ref<Echo>(local.node->name(), local.node->incarnation(), echo.id());
  EXPECT_FALSE(again.is_remote()) << "no round trip through the network to itself";
  EXPECT_EQ(again, echo);
  EXPECT_EQ(local.run(ping(again, 4)), 5);
  // Another class's id, or an actor not published: no ref.
  EXPECT_FALSE(local.node->ref<remote_test::OrderCheck>(local.node->name(),
                                                        local.node->incarnation(), echo.id()));
  EXPECT_FALSE(local.node->ref<Echo>(local.node->name(), local.node->incarnation() + 1, echo.id()))
      << "an earlier run's actor is gone with it";
  ActorRef<Echo> hidden = local.system.spawn<Echo>();
  EXPECT_FALSE(local.node->ref<Echo>(local.node->name(), local.node->incarnation(), hidden.id()));
}

TEST(OneRef, ALoopActorOnAnotherNodeIsReachedByItsAddress) {
  ChildNode child({});
  Local local;
  auto found =
      local.run(local.node->lookup_address<remote_test::Seq>(child.address(), "relay", 10s));
  ASSERT_TRUE(found) << found.detail();
  troupe::Address<remote_test::Seq> relay = *found;
  EXPECT_TRUE(relay.is_remote());
  EXPECT_EQ(relay,
            local.node->address_of<remote_test::Seq>(relay.node(), relay.incarnation(), relay.id()))
      << "an address that came in a message is the same actor";
  // Tells and sends from one sender arrive in order through the loop.
  remote_test::Seq s;
  s.set_sender(9);
  for (std::uint64_t i = 0; i < 100; ++i) {
    s.set_seq(i);
    ASSERT_EQ(relay.tell(s), TellStatus::kQueued);
  }
  const auto sent = local.run([](troupe::Address<remote_test::Seq> r) -> Task<int> {
    int queued = 0;
    remote_test::Seq m;
    m.set_sender(9);
    for (std::uint64_t i = 100; i < 200; ++i) {
      m.set_seq(i);
      queued += (co_await r.send(m)) == TellStatus::kQueued;
    }
    co_return queued;
  }(relay));
  EXPECT_EQ(sent, 100);
  // The loop hands them on to "order" on that node, after they arrive:
  // ask "order" until it has all 200 (or 10 s have passed).
  auto order = local.lookup<remote_test::OrderCheck>(child.address(), "order");
  const auto counts =
      local.run([](ActorRef<remote_test::OrderCheck> o) -> Task<remote_test::Counts> {
        const auto until = troupe::Clock::now() + 10s;
        for (;;) {
          auto r = co_await o.ask(remote_test::Report{}, 10s);
          if (!r || r->received() >= 200 || troupe::Clock::now() > until) {
            co_return r ? *r : remote_test::Counts{};
          }
          co_await troupe::yield_now();
        }
      }(order));
  EXPECT_EQ(counts.received(), 200u);
  EXPECT_EQ(counts.reorders(), 0u);
  // A class actor is not a loop over Seq.
  auto wrong =
      local.run(local.node->lookup_address<remote_test::Seq>(child.address(), "echo", 10s));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(), troupe::remote::LookupError::kWrongType);
}

}  // namespace
