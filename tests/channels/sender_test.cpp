#include <memory>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/channel.hpp>
#include <troupe/channels/sender.hpp>
#include <troupe/runtime/future.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

#include "../runtime/test_support.hpp"

namespace {

using troupe::Receiver;
using troupe::Sender;
using troupe::SendFuture;
using troupe::SendResult;
using troupe::SendStatus;
using troupe::Task;
using troupe::TaskCancelled;
using troupe::detail::spawn_on;
using troupe::test::LifeCounter;
using troupe::test::ManualScheduler;
using troupe::test::Tracked;
namespace channel = troupe::channel;

static_assert(troupe::Future<SendFuture<int>>);
static_assert(troupe::Future<SendFuture<std::unique_ptr<int>>>);
static_assert(!std::is_move_constructible_v<SendFuture<int>>);  // parked futures are linked
static_assert(std::is_copy_constructible_v<Sender<int>>);       // a copy is a clone
static_assert(std::is_nothrow_move_constructible_v<Sender<int>>);

template <class T>
Task<SendResult<T>> send_one(Sender<T> tx, T v) {
  co_return co_await tx.send(std::move(v));
}

TEST(Sender, TrySendReportsFullAtCapacityAndHandsTheValueBack) {
  auto [tx, rx] = channel::bounded<std::unique_ptr<int>>(2);
  ASSERT_TRUE(tx.try_send(std::make_unique<int>(1)).is_sent());
  ASSERT_TRUE(tx.try_send(std::make_unique<int>(2)).is_sent());
  auto box = std::make_unique<int>(3);
  int* const address = box.get();
  auto r = tx.try_send(std::move(box));
  EXPECT_EQ(r.status(), SendStatus::kFull);
  EXPECT_FALSE(r);
  EXPECT_EQ(r.value().get(), address);  // the very same object comes back
  EXPECT_EQ(rx.size(), 2u);
}

TEST(Sender, TrySendOnAClosedChannelHandsTheValueBack) {
  auto [tx, rx] = channel::bounded<std::unique_ptr<int>>(2);
  tx.close();
  EXPECT_TRUE(tx.is_closed());
  auto r = tx.try_send(std::make_unique<int>(7));
  ASSERT_TRUE(r.is_closed());
  ASSERT_NE(r.value(), nullptr);
  EXPECT_EQ(*r.value(), 7);
  EXPECT_TRUE(rx.try_recv().is_closed());
}

TEST(Sender, SendOnAChannelWithRoomCompletesWithoutParking) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(1);
  auto h = spawn_on(s, send_one(tx, 5));
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_TRUE(h.wait().is_sent());
  EXPECT_EQ(rx.try_recv().value(), 5);
}

TEST(Sender, SendParksWhileTheChannelIsFullAndResumesWhenAReceiverFreesASlot) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(1).is_sent());
  auto h = spawn_on(s, send_one(tx, 2));
  s.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  EXPECT_EQ(s.queued(), 0u);

  EXPECT_EQ(rx.try_recv().value(), 1);  // frees the slot: wakes the sender
  EXPECT_EQ(s.queued(), 1u);
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_TRUE(h.wait().is_sent());
  EXPECT_EQ(rx.try_recv().value(), 2);
}

TEST(Sender, ParkedSendersGetFreedSlotsInTheOrderTheyParked) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(0).is_sent());
  auto first = spawn_on(s, send_one(tx, 1));
  s.run_until_idle();
  auto second = spawn_on(s, send_one(tx, 2));
  s.run_until_idle();
  for (int expected = 0; expected <= 2; ++expected) {
    auto r = rx.try_recv();
    ASSERT_TRUE(r.is_received());
    EXPECT_EQ(r.value(), expected);
    s.run_until_idle();
  }
  EXPECT_TRUE(first.wait().is_sent());
  EXPECT_TRUE(second.wait().is_sent());
}

TEST(Sender, CloseWakesEveryParkedSenderAndHandsEachItsValueBack) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(0).is_sent());
  std::vector<troupe::JoinHandle<SendResult<int>>> senders;
  for (int i = 1; i <= 3; ++i) senders.push_back(spawn_on(s, send_one(tx, i)));
  s.run_until_idle();
  tx.close();
  EXPECT_EQ(s.queued(), 3u);
  s.run_until_idle();
  for (int i = 1; i <= 3; ++i) {
    auto r = senders[i - 1].wait();
    ASSERT_TRUE(r.is_closed());
    EXPECT_EQ(r.value(), i);
  }
  EXPECT_EQ(rx.try_recv().value(), 0);  // sent before the close: still delivered
  EXPECT_TRUE(rx.try_recv().is_closed());
}

TEST(Sender, DroppingTheLastReceiverFailsParkedAndLaterSendsWithTheirValues) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(0).is_sent());
  auto parked = spawn_on(s, send_one(tx, 1));
  s.run_until_idle();
  rx = Receiver<int>();  // the only Receiver
  EXPECT_TRUE(tx.is_closed());
  s.run_until_idle();
  auto r = parked.wait();
  ASSERT_TRUE(r.is_closed());
  EXPECT_EQ(r.value(), 1);
  auto later = tx.try_send(2);
  ASSERT_TRUE(later.is_closed());
  EXPECT_EQ(later.value(), 2);
}

TEST(Sender, CopiesAreClonesAndOnlyTheLastOneToGoClosesTheChannel) {
  auto [tx, rx] = channel::bounded<int>(4);
  {
    Sender<int> clone = tx;
    ASSERT_TRUE(clone.try_send(1).is_sent());
    tx = Sender<int>();
    EXPECT_FALSE(rx.is_closed());
    ASSERT_TRUE(clone.try_send(2).is_sent());
  }
  EXPECT_TRUE(rx.is_closed());
  EXPECT_EQ(rx.try_recv().value(), 1);
  EXPECT_EQ(rx.try_recv().value(), 2);
  EXPECT_TRUE(rx.try_recv().is_closed());
}

TEST(Sender, AMovedFromSenderIsEmptyAndDoesNotCloseTheChannel) {
  auto [tx, rx] = channel::bounded<int>(4);
  Sender<int> moved = std::move(tx);
  EXPECT_FALSE(tx);  // NOLINT(bugprone-use-after-move): checking the documented state
  EXPECT_TRUE(moved);
  tx = Sender<int>();
  EXPECT_FALSE(rx.is_closed());
  EXPECT_TRUE(moved.try_send(1).is_sent());
}

Task<void> send_tracked(Sender<Tracked> tx, LifeCounter& c, int v) {
  (void)co_await tx.send(Tracked(c, v));
}

// The value of a send cancelled while parked is destroyed with it and is
// never delivered; the parked sender leaves the channel's list (a later
// freed slot wakes nobody stale: ASan would see a dangling waiter).
TEST(Sender, CancellingAParkedSendDropsItsValueAndLeavesNoWaiterBehind) {
  LifeCounter c;
  {
    ManualScheduler s;
    auto [tx, rx] = channel::bounded<Tracked>(1);
    ASSERT_TRUE(tx.try_send(Tracked(c, 1)).is_sent());
    auto h = spawn_on(s, send_tracked(tx, c, 2));
    s.run_until_idle();
    EXPECT_FALSE(h.is_finished());
    h.cancel();
    s.run_until_idle();
    EXPECT_THROW(h.wait(), TaskCancelled);
    EXPECT_EQ(c.live(), 1);  // only the item in the channel is left

    auto r = rx.try_recv();  // frees the slot: must not touch the dead waiter
    ASSERT_TRUE(r.is_received());
    EXPECT_EQ(r.value().value(), 1);
    EXPECT_TRUE(rx.try_recv().is_empty());
    EXPECT_EQ(s.queued(), 0u);
  }
  EXPECT_EQ(c.live(), 0);
}

// A sender handed a free slot is cancelled before it can use it: the slot
// goes to the next parked sender instead of staying unused.
TEST(Sender, ACancelledSenderThatWasHandedAFreeSlotPassesItOn) {
  ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(0).is_sent());
  auto first = spawn_on(s, send_one(tx, 1));
  s.run_until_idle();
  auto second = spawn_on(s, send_one(tx, 2));
  s.run_until_idle();

  EXPECT_EQ(rx.try_recv().value(), 0);  // wakes `first` (the oldest)
  first.cancel();                       // ...which dies before it runs
  s.run_until_idle();
  EXPECT_THROW((void)first.wait(), TaskCancelled);
  ASSERT_TRUE(second.is_finished());
  EXPECT_TRUE(second.wait().is_sent());
  EXPECT_EQ(rx.try_recv().value(), 2);
}

TEST(Sender, AnAwaitedSendOnAClosedChannelHandsTheValueBack) {
  ManualScheduler s;
  auto [tx, rx] = channel::unbounded<std::unique_ptr<int>>();
  rx.close();
  auto h = spawn_on(s, send_one(tx, std::make_unique<int>(9)));
  s.run_until_idle();
  auto r = h.wait();
  ASSERT_TRUE(r.is_closed());
  EXPECT_EQ(*r.value(), 9);
}

TEST(Sender, SendBlockingWaitsForRoomOnAPlainThread) {
  auto [tx, rx] = channel::bounded<int>(1);
  ASSERT_TRUE(tx.send_blocking(1).is_sent());  // room: returns at once
  std::thread producer([tx = tx] { EXPECT_TRUE(tx.send_blocking(2).is_sent()); });
  EXPECT_EQ(rx.recv_blocking(), 1);
  EXPECT_EQ(rx.recv_blocking(), 2);
  producer.join();
}

TEST(Sender, SendBlockingReturnsTheValueWhenTheChannelClosesWhileItWaits) {
  auto [tx, rx] = channel::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(1).is_sent());
  std::thread closer([rx = rx] {
    // The Receiver is closed from another thread; the blocked send wakes.
    rx.close();
  });
  auto r = tx.send_blocking(2);  // may block or see the close at once
  closer.join();
  ASSERT_TRUE(r.is_closed());
  EXPECT_EQ(r.value(), 2);
}

Task<bool> send_blocking_inside_a_task(Sender<int> tx) {
  try {
    (void)tx.send_blocking(1);
  } catch (const std::logic_error&) {
    co_return true;
  }
  co_return false;
}

TEST(Sender, SendBlockingOnARuntimeThreadThrowsLogicError) {
  troupe::Runtime rt({.workers = 1});
  auto [tx, rx] = channel::bounded<int>(1);
  EXPECT_TRUE(rt.block_on(send_blocking_inside_a_task(tx)));
  EXPECT_TRUE(rx.try_recv().is_empty());
}

}  // namespace
