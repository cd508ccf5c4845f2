// The ordered MPSC channel (actor mailboxes): the Sender/Receiver contract,
// per-sender FIFO under thread migration, exact delivery, capacity, close,
// cancellation and wake-ups.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/yield.hpp>

#include "../runtime/test_support.hpp"

namespace {

using troupe::JoinHandle;
using troupe::MpscReceiver;
using troupe::MpscSender;
using troupe::RecvStatus;
using troupe::Runtime;
using troupe::SendStatus;
using troupe::Task;
using troupe::detail::spawn_on;
using troupe::test::kOptimized;
using troupe::test::LifeCounter;
using troupe::test::ManualScheduler;
using troupe::test::Tracked;
namespace mpsc = troupe::channel::mpsc;

static_assert(troupe::AsyncStream<MpscReceiver<int>>);
static_assert(!std::is_copy_constructible_v<MpscReceiver<int>>);  // one consumer
static_assert(std::is_copy_constructible_v<MpscSender<int>>);     // many producers
// An idle mailbox must stay small: a million idle actors each own one.
static_assert(sizeof(troupe::detail::MpscCore<std::uint64_t>) <= 64);

template <class T>
Task<std::optional<T>> recv_one(MpscReceiver<T>& rx) {
  co_return co_await rx.recv();
}

// --- The single-threaded contract ---------------------------------------------

TEST(Mpsc, ItemsComeOutInTheOrderTheyWentIn) {
  auto [tx, rx] = mpsc::unbounded<int>();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(tx.try_send(i).is_sent());
  EXPECT_EQ(rx.size(), 1000u);
  for (int i = 0; i < 500; ++i) ASSERT_EQ(rx.try_recv().value(), i);
  for (int i = 1000; i < 1500; ++i) ASSERT_TRUE(tx.try_send(i).is_sent());  // interleaved batches
  for (int i = 500; i < 1500; ++i) ASSERT_EQ(rx.try_recv().value(), i);
  EXPECT_EQ(rx.try_recv().status(), RecvStatus::kEmpty);
  EXPECT_EQ(rx.size(), 0u);
}

TEST(Mpsc, BoundedRejectsACapacityOfZero) {
  EXPECT_THROW((void)mpsc::bounded<int>(0), std::invalid_argument);
}

TEST(Mpsc, TrySendReportsFullExactlyAtCapacityAndHandsTheValueBack) {
  auto [tx, rx] = mpsc::bounded<std::unique_ptr<int>>(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tx.try_send(std::make_unique<int>(i)).is_sent());
  auto r = tx.try_send(std::make_unique<int>(42));
  ASSERT_EQ(r.status(), SendStatus::kFull);
  EXPECT_EQ(*r.value(), 42);
  EXPECT_EQ(*rx.try_recv().value(), 0);
  EXPECT_TRUE(tx.try_send(std::make_unique<int>(3)).is_sent());
}

TEST(Mpsc, CloseRefusesSendsButTheQueuedItemsAreStillReceivedThenTheEnd) {
  auto [tx, rx] = mpsc::unbounded<std::unique_ptr<int>>();
  ASSERT_TRUE(tx.try_send(std::make_unique<int>(1)).is_sent());
  rx.close();
  auto r = tx.try_send(std::make_unique<int>(2));
  ASSERT_EQ(r.status(), SendStatus::kClosed);
  EXPECT_EQ(*r.value(), 2);
  EXPECT_EQ(*rx.try_recv().value(), 1);
  EXPECT_EQ(rx.try_recv().status(), RecvStatus::kClosed);
  EXPECT_EQ(rx.try_recv().status(), RecvStatus::kClosed);
}

TEST(Mpsc, TheLastSenderGoingClosesTheChannel) {
  auto [tx, rx] = mpsc::unbounded<int>();
  {
    MpscSender<int> clone = tx;
    { auto gone = std::move(tx); }
    EXPECT_FALSE(rx.is_closed());
    ASSERT_TRUE(clone.try_send(5).is_sent());
  }
  EXPECT_TRUE(rx.is_closed());
  EXPECT_EQ(rx.try_recv().value(), 5);
  EXPECT_EQ(rx.try_recv().status(), RecvStatus::kClosed);
}

TEST(Mpsc, DroppingTheReceiverDestroysTheQueuedItemsAndFailsLaterSends) {
  LifeCounter life;
  auto [tx, rx] = mpsc::unbounded<Tracked>();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tx.try_send(Tracked(life, i)).is_sent());
  EXPECT_EQ(life.live(), 3);
  { auto gone = std::move(rx); }
  EXPECT_EQ(life.live(), 0);
  auto r = tx.try_send(Tracked(life, 9));
  ASSERT_TRUE(r.is_closed());
  EXPECT_EQ(r.value().value(), 9);
}

TEST(Mpsc, RecvParksTheTaskUntilASendWakesIt) {
  ManualScheduler s;
  auto [tx, rx] = mpsc::unbounded<int>();
  auto h = spawn_on(s, recv_one(rx));
  s.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  EXPECT_EQ(s.queued(), 0u);
  ASSERT_TRUE(tx.try_send(7).is_sent());
  EXPECT_EQ(s.queued(), 1u);
  ASSERT_TRUE(tx.try_send(8).is_sent());
  EXPECT_EQ(s.queued(), 1u) << "only the send that found the receiver parked wakes it";
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), 7);
  EXPECT_EQ(rx.try_recv().value(), 8);
}

TEST(Mpsc, CloseWakesAParkedReceiverWhichThenSeesTheEnd) {
  ManualScheduler s;
  auto [tx, rx] = mpsc::unbounded<int>();
  auto h = spawn_on(s, recv_one(rx));
  s.run_until_idle();
  { auto gone = std::move(tx); }
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), std::nullopt);
}

TEST(Mpsc, CancellingAParkedRecvTakesNothing) {
  ManualScheduler s;
  auto [tx, rx] = mpsc::unbounded<int>();
  auto h = spawn_on(s, recv_one(rx));
  s.run_until_idle();
  h.cancel();
  s.run_until_idle();
  ASSERT_TRUE(tx.try_send(3).is_sent());
  EXPECT_EQ(rx.try_recv().value(), 3);
}

TEST(Mpsc, ASendOnAFullChannelParksUntilTheReceiverTakesAnItem) {
  ManualScheduler s;
  auto [tx, rx] = mpsc::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(1).is_sent());
  auto h = spawn_on(s, [](MpscSender<int> tx) -> Task<SendStatus> {
    co_return (co_await tx.send(2)).status();
  }(tx));
  s.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  EXPECT_EQ(rx.try_recv().value(), 1);  // frees the slot: wakes the sender
  s.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), SendStatus::kSent);
  EXPECT_EQ(rx.try_recv().value(), 2);
}

TEST(Mpsc, CancellingAParkedSendDropsItsValueAndItNeverArrives) {
  ManualScheduler s;
  LifeCounter life;
  auto [tx, rx] = mpsc::bounded<Tracked>(1);
  ASSERT_TRUE(tx.try_send(Tracked(life, 1)).is_sent());
  auto h = spawn_on(s, [](MpscSender<Tracked> tx, LifeCounter& life) -> Task<void> {
    (void)co_await tx.send(Tracked(life, 2));
  }(tx, life));
  s.run_until_idle();
  h.cancel();
  s.run_until_idle();
  EXPECT_EQ(life.live(), 1);
  EXPECT_EQ(rx.try_recv().value().value(), 1);
  EXPECT_EQ(rx.try_recv().status(), RecvStatus::kEmpty);
}

TEST(Mpsc, RecvBlockingOnAPlainThreadTalksToAnotherThread) {
  constexpr int rounds = kOptimized ? 100'000 : 20'000;
  std::atomic<std::int64_t> received{0};
  troupe::test::Watchdog watchdog("RecvBlockingOnAPlainThreadTalksToAnotherThread",
                                  troupe::test::kFailFast, &received);
  auto [tx, rx] = mpsc::bounded<int>(2);
  // No ASSERT off the test thread (it would only leave that thread): the
  // producer notes its first failed send, and the test thread checks it.
  std::atomic<int> failed_send{-1};
  std::thread producer([tx = std::move(tx), &failed_send] {
    for (int i = 0; i < rounds; ++i) {
      if (!tx.send_blocking(i).is_sent()) {
        failed_send.store(i);
        return;  // drops tx: the receiver sees the end instead of waiting
      }
    }
  });
  int first_wrong = -1;
  std::optional<int> wrong_value;
  for (int i = 0; i < rounds; ++i) {
    const auto got = rx.recv_blocking();
    received.fetch_add(1);
    if (got != i && first_wrong < 0) {
      first_wrong = i;
      wrong_value = got;
    }
    if (!got) break;  // the producer stopped early: nothing more will come
  }
  producer.join();
  EXPECT_EQ(failed_send.load(), -1) << "send_blocking failed";
  EXPECT_EQ(first_wrong, -1) << "received "
                             << (wrong_value ? std::to_string(*wrong_value) : "nothing")
                             << " instead of " << first_wrong;
  EXPECT_EQ(rx.recv_blocking(), std::nullopt);
}

TEST(Mpsc, RecvBlockingOnARuntimeThreadThrowsLogicError) {
  Runtime rt({.workers = 1});
  auto [tx, rx] = mpsc::unbounded<int>();
  const bool threw = rt.block_on([](MpscReceiver<int>& rx) -> Task<bool> {
    try {
      (void)rx.recv_blocking();
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  }(rx));
  EXPECT_TRUE(threw);
}

// --- Under load on a real runtime ----------------------------------------------

struct OrderCase {
  bool bounded;
  int producers;
};

void PrintTo(const OrderCase& c, std::ostream* os) {
  *os << (c.bounded ? "bounded, " : "unbounded, ") << c.producers << " producers";
}

class MpscDelivery : public ::testing::TestWithParam<OrderCase> {};

// The id of the calling thread, opaque to the optimizer: pthread_self() is
// declared const, and clang 14 (at -O1 and above) keeps a coroutine's first
// call to it across suspension points, so a task that moved between threads
// would seem never to have moved.
[[gnu::noinline]] std::thread::id current_thread_id() {
  asm volatile("" ::: "memory");
  return std::this_thread::get_id();
}

// Each producer task sends (id, seq) pairs and yields between sends, so the
// runtime moves it between its two workers; the consumer checks that every
// producer's items arrive exactly once and in order.
TEST_P(MpscDelivery, EveryItemArrivesOnceAndInSendOrderPerSenderDespiteMigration) {
  const auto [is_bounded, producers] = GetParam();
  const std::uint64_t per_producer =
      kOptimized ? 100'000 : std::min<std::uint64_t>(100'000, 400'000 / producers);
  struct Item {
    std::uint32_t producer;
    std::uint64_t seq;
  };
  // On a loaded machine one worker may do all the work for a whole run, so
  // the run repeats (a few times at most) until some sender did change
  // threads; every run must deliver everything in order.
  std::atomic<std::uint64_t> migrations{0};
  for (int attempt = 0; attempt < 5 && (attempt == 0 || migrations.load() == 0); ++attempt) {
    Runtime rt({.workers = 2});
    auto [tx, rx] = is_bounded ? mpsc::bounded<Item>(64) : mpsc::unbounded<Item>();
    auto consumer = rt.spawn(
        [](MpscReceiver<Item> rx, int producers) -> Task<std::pair<std::uint64_t, std::uint64_t>> {
          std::vector<std::uint64_t> next(producers, 0);
          std::uint64_t count = 0;
          std::uint64_t reorders = 0;
          while (auto item = co_await rx.recv()) {
            reorders += item->seq != next[item->producer];
            next[item->producer] = item->seq + 1;
            ++count;
          }
          co_return std::pair{count, reorders};
        }(std::move(rx), producers));
    std::vector<JoinHandle<void>> senders;
    for (int p = 0; p < producers; ++p) {
      senders.push_back(rt.spawn([](MpscSender<Item> tx, std::uint32_t id, std::uint64_t n,
                                    std::atomic<std::uint64_t>& migrations) -> Task<void> {
        auto last = current_thread_id();
        for (std::uint64_t i = 0; i < n; ++i) {
          EXPECT_TRUE((co_await tx.send(Item{id, i})).is_sent());
          if (i % 8 == 7) co_await troupe::yield_now();
          if (current_thread_id() != last) {
            last = current_thread_id();
            migrations.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }(tx, static_cast<std::uint32_t>(p), per_producer, migrations)));
    }
    { auto gone = std::move(tx); }  // the producers hold the last Senders
    for (auto& h : senders) h.wait();
    const auto [count, reorders] = consumer.wait();
    EXPECT_EQ(count, per_producer * producers);
    EXPECT_EQ(reorders, 0u);
    if (producers == 1) break;  // one sender: nothing to compare its order with
  }
  if (producers > 1) {
    EXPECT_GT(migrations.load(), 0u) << "no sender ever changed threads in 5 runs";
  }
}

INSTANTIATE_TEST_SUITE_P(Mpsc, MpscDelivery,
                         ::testing::Values(OrderCase{true, 1}, OrderCase{true, 4},
                                           OrderCase{true, 16}, OrderCase{true, 64},
                                           OrderCase{false, 1}, OrderCase{false, 4},
                                           OrderCase{false, 16}, OrderCase{false, 64}),
                         [](const ::testing::TestParamInfo<OrderCase>& info) {
                           return std::string(info.param.bounded ? "Bounded" : "Unbounded") +
                                  std::to_string(info.param.producers) + "Producers";
                         });

// Producers count each send once it is done; the consumer counts what it
// took. Completed sends minus items taken is a lower bound of what is
// inside, which must never exceed the capacity.
TEST(Mpsc, ABoundedChannelNeverHoldsMoreThanItsCapacity) {
  constexpr std::size_t kCapacity = 4;
  constexpr int per_producer = kOptimized ? 50'000 : 10'000;
  Runtime rt({.workers = 2});
  auto [tx, rx] = mpsc::bounded<int>(kCapacity);
  std::atomic<std::int64_t> sent{0};
  std::atomic<int> failed_sends{0};  // checked on the test thread, not ASSERTed off it
  troupe::test::Watchdog watchdog("ABoundedChannelNeverHoldsMoreThanItsCapacity",
                                  troupe::test::kFailFast, &sent);
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([tx = tx, &sent, &failed_sends] {
      for (int i = 0; i < per_producer; ++i) {
        if (!tx.send_blocking(i).is_sent()) {
          failed_sends.fetch_add(1);
          return;
        }
        sent.fetch_add(1);
      }
    });
  }
  { auto gone = std::move(tx); }
  const std::int64_t worst =
      rt.block_on([](MpscReceiver<int> rx, std::atomic<std::int64_t>& sent) -> Task<std::int64_t> {
        std::int64_t taken = 0;
        std::int64_t worst = 0;
        // (Not `while (co_await rx.recv())`: g++ 12.2 miscompiles a co_await
        // of a temporary in a loop condition.)
        while (auto item = co_await rx.recv()) {
          ++taken;
          worst = std::max(worst, sent.load() - taken);
          co_await troupe::yield_now();
        }
        co_return worst;
      }(std::move(rx), sent));
  for (auto& t : producers) t.join();
  EXPECT_EQ(failed_sends.load(), 0);
  EXPECT_EQ(sent.load(), 4 * per_producer);
  EXPECT_LE(worst, static_cast<std::int64_t>(kCapacity));
  EXPECT_GE(worst, 2) << "the producers never filled the channel: the check saw nothing";
}

TEST(Mpsc, PingPongOverTwoCapacityOneChannelsCompletes) {
  const int rounds = kOptimized ? 1'000'000 : 100'000;
  Runtime rt({.workers = 2});
  auto [ping_tx, ping_rx] = mpsc::bounded<int>(1);
  auto [pong_tx, pong_rx] = mpsc::bounded<int>(1);
  auto echo = rt.spawn([](MpscReceiver<int> in, MpscSender<int> out) -> Task<void> {
    while (auto v = co_await in.recv()) (void)co_await out.send(*v);
  }(std::move(ping_rx), std::move(pong_tx)));
  const std::int64_t sum =
      rt.block_on([](MpscSender<int> out, MpscReceiver<int> in, int rounds) -> Task<std::int64_t> {
        std::int64_t sum = 0;
        for (int i = 0; i < rounds; ++i) {
          (void)co_await out.send(i);
          sum += *co_await in.recv();
        }
        co_return sum;
      }(std::move(ping_tx), std::move(pong_rx), rounds));
  echo.wait();
  EXPECT_EQ(sum, std::int64_t{rounds} * (rounds - 1) / 2);
}

TEST(Mpsc, ClosingWhileSendersRaceLosesNoAcceptedItem) {
  const int rounds = kOptimized ? 2'000 : 300;
  for (int round = 0; round < rounds; ++round) {
    auto [tx, rx] = mpsc::unbounded<int>();
    std::atomic<int> accepted{0};
    std::vector<std::thread> senders;
    for (int p = 0; p < 2; ++p) {
      senders.emplace_back([tx = tx, &accepted] {
        for (int i = 0; i < 50; ++i) {
          if (tx.try_send(i).is_sent()) accepted.fetch_add(1);
        }
      });
    }
    rx.close();
    for (auto& t : senders) t.join();
    int received = 0;
    while (rx.try_recv().is_received()) ++received;
    ASSERT_EQ(received, accepted.load()) << "round " << round;
  }
}

}  // namespace
