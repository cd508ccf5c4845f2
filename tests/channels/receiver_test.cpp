#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/channel.hpp>
#include <troupe/channels/receiver.hpp>
#include <troupe/runtime/future.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

#include "../runtime/test_support.hpp"

namespace {

using troupe::JoinHandle;
using troupe::Receiver;
using troupe::RecvFuture;
using troupe::RecvStatus;
using troupe::Sender;
using troupe::Task;
using troupe::TaskCancelled;
using troupe::detail::spawn_on;
using troupe::test::LifeCounter;
using troupe::test::ManualScheduler;
using troupe::test::Tracked;
namespace channel = troupe::channel;

static_assert(troupe::Future<RecvFuture<int>>);
static_assert(troupe::Future<RecvFuture<std::unique_ptr<int>>>);
static_assert(!std::is_move_constructible_v<RecvFuture<int>>);  // parked futures are linked
static_assert(std::is_copy_constructible_v<Receiver<int>>);     // a copy is a clone
static_assert(std::is_nothrow_move_constructible_v<Receiver<int>>);
static_assert(troupe::AsyncStream<Receiver<int>>);
static_assert(troupe::AsyncStream<Receiver<std::unique_ptr<int>>>);

template <class T>
Task<std::optional<T>> recv_one(Receiver<T> rx) {
  co_return co_await rx.recv();
}

TEST(Receiver, TryRecvReportsEmptyThenTheValueThenClosedOnceDrained) {
  auto [tx, rx] = channel::bounded<int>(4);
  EXPECT_EQ(rx.try_recv().status(), RecvStatus::kEmpty);
  ASSERT_TRUE(tx.try_send(5).is_sent());
  tx.close();
  auto r = rx.try_recv();
  ASSERT_EQ(r.status(), RecvStatus::kReceived);
  EXPECT_TRUE(r);
  EXPECT_EQ(r.value(), 5);
  EXPECT_EQ(rx.try_recv().status(), RecvStatus::kClosed);
}

TEST(Receiver, RecvOfAReadyItemCompletesWithoutParking) {
  ManualScheduler s;
  auto [tx, rx] = channel::unbounded<int>();
  ASSERT_TRUE(tx.try_send(3).is_sent());
  auto h = spawn_on(s, recv_one(rx));
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 3);
}

TEST(Receiver, RecvParksTheTaskUntilASenderDelivers) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(1);
  auto h = spawn_on(s, recv_one(rx));
  s.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  EXPECT_EQ(s.queued(), 0u);

  ASSERT_TRUE(tx.try_send(7).is_sent());  // wakes the receiver
  EXPECT_EQ(s.queued(), 1u);
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 7);
}

TEST(Receiver, ParkedReceiversGetItemsInTheOrderTheyParked) {
  ManualScheduler s;
  auto [tx, rx] = channel::unbounded<int>();
  auto first = spawn_on(s, recv_one(rx));
  s.run_until_idle();
  auto second = spawn_on(s, recv_one(rx));
  s.run_until_idle();
  ASSERT_TRUE(tx.try_send(1).is_sent());
  s.run_until_idle();
  ASSERT_TRUE(first.is_finished());
  EXPECT_FALSE(second.is_finished());
  ASSERT_TRUE(tx.try_send(2).is_sent());
  s.run_until_idle();
  EXPECT_EQ(first.wait(), 1);
  EXPECT_EQ(second.wait(), 2);
}

TEST(Receiver, DroppingTheLastSenderClosesTheChannelAndWakesEveryParkedReceiver) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(2);
  std::vector<JoinHandle<std::optional<int>>> receivers;
  for (int i = 0; i < 3; ++i) receivers.push_back(spawn_on(s, recv_one(rx)));
  s.run_until_idle();
  tx = Sender<int>();  // the only Sender
  EXPECT_TRUE(rx.is_closed());
  EXPECT_EQ(s.queued(), 3u);
  s.run_until_idle();
  for (auto& h : receivers) EXPECT_EQ(h.wait(), std::nullopt);
}

TEST(Receiver, ItemsSentBeforeTheLastSenderWentAreStillReceived) {
  auto [tx, rx] = channel::bounded<int>(4);
  ASSERT_TRUE(tx.try_send(1).is_sent());
  ASSERT_TRUE(tx.try_send(2).is_sent());
  tx = Sender<int>();
  EXPECT_EQ(rx.recv_blocking(), 1);
  EXPECT_EQ(rx.recv_blocking(), 2);
  EXPECT_EQ(rx.recv_blocking(), std::nullopt);
}

TEST(Receiver, CloseFromTheReceiverSideRefusesSendsButKeepsQueuedItems) {
  auto [tx, rx] = channel::bounded<int>(4);
  ASSERT_TRUE(tx.try_send(1).is_sent());
  rx.close();
  auto refused = tx.try_send(2);
  ASSERT_TRUE(refused.is_closed());
  EXPECT_EQ(refused.value(), 2);
  EXPECT_EQ(rx.try_recv().value(), 1);
  EXPECT_TRUE(rx.try_recv().is_closed());
}

TEST(Receiver, ClonesShareTheChannelAndEachItemGoesToOneOfThem) {
  auto [tx, rx] = channel::bounded<int>(4);
  Receiver<int> clone = rx;
  ASSERT_TRUE(tx.try_send(1).is_sent());
  ASSERT_TRUE(tx.try_send(2).is_sent());
  const int a = rx.try_recv().value();
  const int b = clone.try_recv().value();
  EXPECT_EQ(a + b, 3);
  EXPECT_NE(a, b);
  EXPECT_TRUE(rx.try_recv().is_empty());
  EXPECT_TRUE(clone.try_recv().is_empty());
  rx = Receiver<int>();
  EXPECT_FALSE(tx.is_closed());  // a clone remains
  clone = Receiver<int>();
  EXPECT_TRUE(tx.is_closed());
}

TEST(Receiver, DroppingTheLastReceiverDestroysTheQueuedItemsAtOnce) {
  LifeCounter c;
  auto [tx, rx] = channel::unbounded<Tracked>();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tx.try_send(Tracked(c, i)).is_sent());
  EXPECT_EQ(c.live(), 3);
  rx = Receiver<Tracked>();
  EXPECT_EQ(c.live(), 0);  // while the Sender still holds the channel
  auto r = tx.try_send(Tracked(c, 9));
  ASSERT_TRUE(r.is_closed());
  EXPECT_EQ(r.value().value(), 9);
}

// A recv cancelled while parked takes nothing out of the channel and leaves
// the receiver list (a later send wakes nobody stale: ASan would see a
// dangling waiter).
TEST(Receiver, CancellingAParkedRecvTakesNothingAndLeavesNoWaiterBehind) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(2);
  auto h = spawn_on(s, recv_one(rx));
  s.run_until_idle();
  h.cancel();
  s.run_until_idle();
  EXPECT_THROW(h.wait(), TaskCancelled);

  ASSERT_TRUE(tx.try_send(1).is_sent());  // must not touch the dead waiter
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(rx.try_recv().value(), 1);
}

// A receiver is handed an item's wake and cancelled before it runs: the wake
// passes to the next parked receiver, which gets the item.
TEST(Receiver, ACancelledReceiverThatWasHandedAWakePassesItToTheNextOne) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(2);
  auto first = spawn_on(s, recv_one(rx));
  s.run_until_idle();
  auto second = spawn_on(s, recv_one(rx));
  s.run_until_idle();

  ASSERT_TRUE(tx.try_send(42).is_sent());  // wakes `first` (the oldest)
  first.cancel();                          // ...which dies before it runs
  s.run_until_idle();
  EXPECT_THROW(first.wait(), TaskCancelled);
  ASSERT_TRUE(second.is_finished());
  EXPECT_EQ(second.wait(), 42);
}

TEST(Receiver, RecvBlockingWaitsOnAPlainThreadForAnotherThreadToSend) {
  constexpr int kItems = 1'000;
  auto [tx, rx] = channel::bounded<int>(1);
  std::thread producer([tx = std::move(tx)] {
    for (int i = 0; i < kItems; ++i) EXPECT_TRUE(tx.send_blocking(i).is_sent());
  });  // the thread's Sender is the last one: it closes the channel when done
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(rx.recv_blocking(), i);
  producer.join();
  EXPECT_EQ(rx.recv_blocking(), std::nullopt);
}

Task<bool> recv_blocking_inside_a_task(Receiver<int> rx) {
  try {
    (void)rx.recv_blocking();
  } catch (const std::logic_error&) {
    co_return true;
  }
  co_return false;
}

TEST(Receiver, RecvBlockingOnARuntimeThreadThrowsLogicError) {
  troupe::Runtime rt({.workers = 1});
  auto [tx, rx] = channel::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(1).is_sent());
  EXPECT_TRUE(rt.block_on(recv_blocking_inside_a_task(rx)));
  EXPECT_EQ(rx.try_recv().value(), 1);  // nothing was taken
}

// --- A Receiver as a stream ------------------------------------------------

Task<std::vector<int>> drain_stream(Receiver<int> rx) {
  std::vector<int> out;
  while (auto v = co_await rx.next()) out.push_back(*v);
  co_return out;
}

TEST(ReceiverStream, YieldsTheItemsThenEndsOnceClosedAndDrained) {
  ManualScheduler s;
  auto [tx, rx] = channel::unbounded<int>();
  auto h = spawn_on(s, drain_stream(std::move(rx)));
  s.run_until_idle();
  EXPECT_FALSE(h.is_finished());  // parked on the empty channel
  ASSERT_TRUE(tx.try_send(1).is_sent());
  ASSERT_TRUE(tx.try_send(2).is_sent());
  s.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  { auto gone = std::move(tx); }  // the last Sender: closes the channel
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), (std::vector<int>{1, 2}));
}

TEST(ReceiverStream, APendingNextThatIsDroppedLeavesTheItemForTheNextCall) {
  ManualScheduler s;
  auto [tx, rx] = channel::unbounded<int>();
  // Poll once (pending), then drop the next() future: the receive stays
  // pending inside the Receiver, and the next call picks the item up.
  auto poll_once = [](Receiver<int>& rx) -> Task<bool> {
    auto f = rx.next();
    co_return co_await troupe::test::PollOnce(f);
  };
  auto first = spawn_on(s, poll_once(rx));
  s.run_until_idle();
  ASSERT_TRUE(first.is_finished());
  EXPECT_FALSE(first.wait());
  ASSERT_TRUE(tx.try_send(9).is_sent());
  auto second = spawn_on(
      s, [](Receiver<int>& rx) -> Task<std::optional<int>> { co_return co_await rx.next(); }(rx));
  s.run_until_idle();
  ASSERT_TRUE(second.is_finished());
  EXPECT_EQ(second.wait(), 9);
}

TEST(ReceiverStream, MovingAReceiverWithAPendingNextPassesItsWakeOn) {
  ManualScheduler s;
  auto [tx, rx] = channel::unbounded<int>();
  auto poll_once = [](Receiver<int>& rx) -> Task<bool> {
    auto f = rx.next();
    co_return co_await troupe::test::PollOnce(f);
  };
  auto h = spawn_on(s, poll_once(rx));  // rx's receive parks first...
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  Receiver<int> other = rx;
  auto parked = spawn_on(s, recv_one(other));  // ...then a clone's
  s.run_until_idle();
  ASSERT_TRUE(tx.try_send(4).is_sent());  // the wake goes to rx's receive
  Receiver<int> moved = std::move(rx);    // which is dropped: it passes it on
  s.run_until_idle();
  ASSERT_TRUE(parked.is_finished());
  EXPECT_EQ(parked.wait(), 4);
}

}  // namespace
