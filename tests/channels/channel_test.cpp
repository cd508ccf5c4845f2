// End-to-end behaviour of the MPMC channel on a real runtime: delivery under
// contention, capacity, close, cancellation, wake-ups, blocking calls.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/channel.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/yield.hpp>

#include "../runtime/test_support.hpp"

namespace {

using troupe::JoinHandle;
using troupe::Receiver;
using troupe::Runtime;
using troupe::Sender;
using troupe::Task;
using troupe::TaskCancelled;
using troupe::test::kOptimized;
namespace channel = troupe::channel;

struct Tally {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
};

Task<void> produce_range(Sender<std::uint64_t> tx, std::uint64_t first, std::uint64_t n) {
  for (std::uint64_t v = first; v < first + n; ++v) {
    EXPECT_TRUE((co_await tx.send(v)).is_sent());
  }
}

Task<Tally> consume_all(Receiver<std::uint64_t> rx, std::vector<std::atomic<std::uint8_t>>* seen) {
  Tally t;
  while (auto v = co_await rx.recv()) {
    if (seen) (*seen)[*v].fetch_add(1, std::memory_order_relaxed);
    t.count++;
    t.sum += *v;
  }
  co_return t;
}

TEST(Channel, BoundedRejectsACapacityOfZero) {
  EXPECT_THROW((void)channel::bounded<int>(0), std::invalid_argument);
  EXPECT_THROW((void)channel::bounded<int>(channel::kMaxCapacity + 1), std::invalid_argument);
}

TEST(Channel, UnboundedChannelsNeverReportFull) {
  auto [tx, rx] = channel::unbounded<int>();
  EXPECT_EQ(tx.capacity(), channel::kMaxCapacity);
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(tx.try_send(i).is_sent());
  EXPECT_EQ(rx.size(), 10'000u);
}

// --- Exact delivery ------------------------------------------------------------

struct DeliveryCase {
  bool bounded;
  int producers;
};

void PrintTo(const DeliveryCase& c, std::ostream* os) {
  *os << (c.bounded ? "bounded, " : "unbounded, ") << c.producers << " producers";
}

class ExactDelivery : public ::testing::TestWithParam<DeliveryCase> {};

// Every producer sends its own range of ids; four consumers drain until the
// last producer is gone. Each id must arrive exactly once (count, checksum
// and a per-id tally).
TEST_P(ExactDelivery, EveryItemFromEveryProducerIsReceivedExactlyOnce) {
  const auto [is_bounded, producers] = GetParam();
  constexpr int kConsumers = 4;
  // Debug: 100k per producer up to 400k items in all (6'250 each for 64).
  const std::uint64_t per_producer =
      kOptimized ? 100'000 : std::min<std::uint64_t>(100'000, 400'000 / producers);
  const std::uint64_t total = per_producer * static_cast<std::uint64_t>(producers);
  std::vector<std::atomic<std::uint8_t>> seen(total);

  Runtime rt({.workers = 4});
  std::vector<JoinHandle<void>> senders;
  std::vector<JoinHandle<Tally>> receivers;
  {
    auto [tx, rx] =
        is_bounded ? channel::bounded<std::uint64_t>(16) : channel::unbounded<std::uint64_t>();
    for (int c = 0; c < kConsumers; ++c) receivers.push_back(rt.spawn(consume_all(rx, &seen)));
    for (int p = 0; p < producers; ++p) {
      senders.push_back(rt.spawn(produce_range(tx, p * per_producer, per_producer)));
    }
  }  // the last Sender now lives in a producer: the channel closes when they end
  for (auto& h : senders) h.wait();
  Tally all;
  for (auto& h : receivers) {
    const Tally t = h.wait();
    all.count += t.count;
    all.sum += t.sum;
  }
  EXPECT_EQ(all.count, total);
  EXPECT_EQ(all.sum, total * (total - 1) / 2);
  std::uint64_t wrong = 0;
  for (auto& s : seen) wrong += s.load() != 1;
  EXPECT_EQ(wrong, 0u) << "ids lost or duplicated";
}

INSTANTIATE_TEST_SUITE_P(Channel, ExactDelivery,
                         ::testing::Values(DeliveryCase{true, 1}, DeliveryCase{true, 4},
                                           DeliveryCase{true, 16}, DeliveryCase{true, 64},
                                           DeliveryCase{false, 1}, DeliveryCase{false, 4},
                                           DeliveryCase{false, 16}, DeliveryCase{false, 64}),
                         [](const ::testing::TestParamInfo<DeliveryCase>& info) {
                           return std::string(info.param.bounded ? "Bounded" : "Unbounded") +
                                  std::to_string(info.param.producers) + "Producers";
                         });

// --- Capacity ------------------------------------------------------------------

Task<void> produce_counted(Sender<int> tx, int n, std::atomic<std::int64_t>& sent) {
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE((co_await tx.send(i)).is_sent());
    sent.fetch_add(1);  // after the send: never counts an item not yet inside
  }
}

// A consumer that yields between receives, so producers keep the channel
// full. Items inside = sends done - receives begun; reading `sent` before
// `begun` makes the difference a lower bound, which must stay <= capacity.
Task<std::int64_t> consume_checking(Receiver<int> rx, std::size_t capacity,
                                    std::atomic<std::int64_t>& sent,
                                    std::atomic<std::int64_t>& begun) {
  std::int64_t worst = 0;
  for (;;) {
    begun.fetch_add(1);
    auto v = co_await rx.recv();
    if (!v) break;
    const auto s = sent.load();
    const auto inside = s - begun.load();
    if (inside > worst) worst = inside;
    EXPECT_LE(inside, static_cast<std::int64_t>(capacity));
    co_await troupe::yield_now();
  }
  co_return worst;
}

TEST(Channel, ABoundedChannelNeverHoldsMoreThanItsCapacity) {
  constexpr std::size_t kCapacity = 8;
  constexpr int kProducers = 8;
  const int per_producer = kOptimized ? 20'000 : 2'000;
  Runtime rt({.workers = 4});
  std::atomic<std::int64_t> sent{0};
  std::atomic<std::int64_t> begun{0};
  std::vector<JoinHandle<void>> producers;
  std::vector<JoinHandle<std::int64_t>> consumers;
  {
    auto [tx, rx] = channel::bounded<int>(kCapacity);
    for (int c = 0; c < 2; ++c) {
      consumers.push_back(rt.spawn(consume_checking(rx, kCapacity, sent, begun)));
    }
    for (int p = 0; p < kProducers; ++p) {
      producers.push_back(rt.spawn(produce_counted(tx, per_producer, sent)));
    }
  }
  for (auto& h : producers) h.wait();
  std::int64_t worst = 0;
  for (auto& h : consumers) worst = std::max(worst, h.wait());
  EXPECT_LE(worst, static_cast<std::int64_t>(kCapacity));
  EXPECT_EQ(sent.load(), kProducers * per_producer);
}

TEST(Channel, TrySendReportsFullExactlyAtCapacity) {
  auto [tx, rx] = channel::bounded<int>(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(tx.try_send(i).is_sent());
  auto r = tx.try_send(99);
  ASSERT_TRUE(r.is_full());
  EXPECT_EQ(r.value(), 99);
  ASSERT_TRUE(rx.try_recv().is_received());
  EXPECT_TRUE(tx.try_send(3).is_sent());
  EXPECT_TRUE(tx.try_send(4).is_full());
}

// --- Close ---------------------------------------------------------------------

TEST(Channel, ItemsSentBeforeCloseAreAllReceivedThenEveryReceiverSeesClosed) {
  constexpr std::uint64_t kItems = 5'000;
  Runtime rt({.workers = 2});
  auto [tx, rx] = channel::unbounded<std::uint64_t>();
  for (std::uint64_t i = 0; i < kItems; ++i) ASSERT_TRUE(tx.try_send(i).is_sent());
  tx.close();
  EXPECT_TRUE(tx.try_send(kItems).is_closed());
  std::vector<JoinHandle<Tally>> receivers;
  for (int c = 0; c < 4; ++c) receivers.push_back(rt.spawn(consume_all(rx, nullptr)));
  Tally all;
  for (auto& h : receivers) {
    const Tally t = h.wait();  // returns only once its recv gave nullopt
    all.count += t.count;
    all.sum += t.sum;
  }
  EXPECT_EQ(all.count, kItems);
  EXPECT_EQ(all.sum, kItems * (kItems - 1) / 2);
}

Task<bool> recv_sees_closed(Receiver<int> rx) { co_return !(co_await rx.recv()).has_value(); }

Task<bool> send_is_refused(Sender<int> tx, int v) {
  auto r = co_await tx.send(v);
  co_return r.is_closed() && r.value() == v;
}

// Parked on an empty channel (receivers) and on a full one (senders): one
// close() on each wakes them all, with "closed" for every one.
TEST(Channel, CloseWakesEveryParkedSenderAndReceiver) {
  constexpr int kWaiters = 16;
  Runtime rt({.workers = 2});
  auto [tx_empty, rx_empty] = channel::bounded<int>(1);
  auto [tx_full, rx_full] = channel::bounded<int>(1);
  ASSERT_TRUE(tx_full.try_send(0).is_sent());
  std::vector<JoinHandle<bool>> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.push_back(rt.spawn(recv_sees_closed(rx_empty)));
    waiters.push_back(rt.spawn(send_is_refused(tx_full, i + 1)));
  }
  tx_empty.close();
  rx_full.close();
  for (auto& h : waiters) EXPECT_TRUE(h.wait());
  auto left = rx_full.try_recv();  // the item sent before the close is still there
  ASSERT_TRUE(left.is_received());
  EXPECT_EQ(left.value(), 0);
}

// --- Cancellation --------------------------------------------------------------

/// Wraps a Future and counts `parked` down the first time it polls pending:
/// the event "this task is now parked on the channel", without sleeping.
template <class F>
class CountDownWhenParked {
 public:
  CountDownWhenParked(F& inner, troupe::test::Countdown& parked) : inner_(inner), parked_(parked) {}
  bool poll(troupe::Context& cx) noexcept {
    if (inner_.poll(cx)) return true;
    if (!counted_) {
      counted_ = true;
      parked_.count_down();
    }
    return false;
  }
  decltype(auto) await_resume() { return inner_.await_resume(); }

 private:
  F& inner_;
  troupe::test::Countdown& parked_;
  bool counted_ = false;
};

Task<void> consume_counting(Receiver<std::uint64_t> rx, std::atomic<std::uint64_t>& count,
                            std::atomic<std::uint64_t>& sum, troupe::test::Countdown& parked,
                            troupe::test::Countdown& received) {
  auto first_recv = rx.recv();  // the channel is empty: this one parks
  auto v = co_await CountDownWhenParked(first_recv, parked);
  while (v) {
    count.fetch_add(1);  // before the next suspension: a cancel cannot fall between
    sum.fetch_add(*v);
    received.count_down();
    v = co_await rx.recv();
  }
}

Task<std::optional<int>> recv_one(Receiver<int> rx) { co_return co_await rx.recv(); }

// Step by step: two receivers park; an item comes, and its wake goes to the
// first; that one is cancelled before it runs. Its wake must go on to the
// second, or the item stays in the channel with a receiver parked beside it.
TEST(Channel, ACancelledReceiverThatWasWokenPassesTheWakeOn) {
  troupe::test::ManualScheduler s;
  auto [tx, rx] = channel::bounded<int>(4);
  auto first = troupe::detail::spawn_on(s, recv_one(rx));
  s.run_until_idle();  // the first parks, enlisted first
  auto second = troupe::detail::spawn_on(s, recv_one(rx));
  s.run_until_idle();
  ASSERT_FALSE(first.is_finished());
  ASSERT_FALSE(second.is_finished());
  ASSERT_TRUE(tx.try_send(7).is_sent());  // wakes the first
  first.cancel();                         // before it ran
  s.run_until_idle();
  ASSERT_TRUE(first.is_finished());
  EXPECT_THROW(first.wait(), TaskCancelled);
  ASSERT_TRUE(second.is_finished()) << "the wake died with the cancelled receiver";
  EXPECT_EQ(second.wait(), 7);
}

// Receivers parked on the channel are cancelled while a producer sends: the
// survivors still receive every item (a wake handed to a cancelled receiver
// is passed on, and a cancelled recv takes nothing). The channel stays open
// until every item has been received (or the fail-fast deadline passed):
// closing it wakes every receiver, which would hide a wake that was lost.
TEST(Channel, CancellingParkedReceiversLosesNoItem) {
  constexpr int kReceivers = 16;
  const std::uint64_t items = kOptimized ? 200'000 : 20'000;
  Runtime rt({.workers = 4});
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> sum{0};
  troupe::test::Countdown parked(kReceivers);
  troupe::test::Countdown received(static_cast<std::int64_t>(items));
  std::vector<JoinHandle<void>> receivers;
  JoinHandle<void> producer;
  auto [tx, rx] = channel::bounded<std::uint64_t>(4);
  for (int i = 0; i < kReceivers; ++i) {
    receivers.push_back(rt.spawn(consume_counting(rx, count, sum, parked, received)));
  }
  { auto gone = std::move(rx); }
  // Every receiver is parked on the empty channel before the producer
  // starts and the cancels race its wakes.
  ASSERT_TRUE(parked.wait_for()) << parked.left() << " receivers never parked";
  producer = rt.spawn(produce_range(tx, 0, items));
  for (int i = 0; i < kReceivers; i += 2) receivers[i].cancel();
  const bool all_received = received.wait_for();
  tx.close();  // the end for the survivors (and for a producer stuck on a full channel)
  EXPECT_TRUE(all_received) << received.left() << " items were never received: a wake was lost";
  producer.wait();
  int cancelled = 0;
  for (auto& h : receivers) {
    try {
      h.wait();
    } catch (const TaskCancelled&) {
      ++cancelled;
    }
  }
  EXPECT_LE(cancelled, kReceivers / 2);
  EXPECT_EQ(count.load(), items);
  EXPECT_EQ(sum.load(), items * (items - 1) / 2);
}

Task<void> produce_ids(Sender<std::uint64_t> tx, std::uint64_t first, std::uint64_t n,
                       std::atomic<std::uint64_t>& sent, std::atomic<std::uint64_t>& sent_sum) {
  for (std::uint64_t v = first; v < first + n; ++v) {
    // Bound first: g++ 12.2 miscompiles a co_await in an if condition.
    const auto sent_now = co_await tx.send(v);
    if (!sent_now.is_sent()) co_return;
    sent.fetch_add(1);  // before the next suspension: a cancel cannot fall between
    sent_sum.fetch_add(v);
  }
}

// Producers parked on a full channel are cancelled: what they had sent is
// received exactly once, their pending value is dropped and never arrives.
TEST(Channel, CancellingParkedSendersLosesNoSentItemAndDeliversNoDroppedOne) {
  constexpr int kProducers = 16;
  const std::uint64_t per_producer = kOptimized ? 20'000 : 2'000;
  Runtime rt({.workers = 4});
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> sent_sum{0};
  std::vector<std::atomic<std::uint8_t>> seen(kProducers * per_producer);
  std::vector<JoinHandle<void>> producers;
  std::vector<JoinHandle<Tally>> consumers;
  {
    auto [tx, rx] = channel::bounded<std::uint64_t>(2);
    for (int p = 0; p < kProducers; ++p) {
      producers.push_back(
          rt.spawn(produce_ids(tx, p * per_producer, per_producer, sent, sent_sum)));
    }
    for (int c = 0; c < 2; ++c) consumers.push_back(rt.spawn(consume_all(rx, &seen)));
  }
  for (int p = 0; p < kProducers; p += 2) producers[p].cancel();
  for (auto& h : producers) {
    try {
      h.wait();
    } catch (const TaskCancelled&) {
    }
  }
  Tally all;
  for (auto& h : consumers) {
    const Tally t = h.wait();
    all.count += t.count;
    all.sum += t.sum;
  }
  EXPECT_EQ(all.count, sent.load());
  EXPECT_EQ(all.sum, sent_sum.load());
  std::uint64_t duplicated = 0;
  for (auto& s : seen) duplicated += s.load() > 1;
  EXPECT_EQ(duplicated, 0u);
}

// --- Wake-ups ------------------------------------------------------------------

Task<void> ping(Sender<int> out, Receiver<int> in, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    EXPECT_TRUE((co_await out.send(i)).is_sent());
    auto back = co_await in.recv();
    if (!back || *back != i) {
      ADD_FAILURE() << "round " << i << " came back wrong";
      co_return;
    }
  }
}

Task<int> pong(Receiver<int> in, Sender<int> out) {
  int n = 0;
  while (auto v = co_await in.recv()) {
    const auto sent = co_await out.send(*v);  // bound first: see produce_ids
    if (!sent.is_sent()) break;
    ++n;
  }
  co_return n;
}

// Every round trip parks each side on a capacity-1 channel: a single lost
// wake-up would hang the test.
TEST(Channel, PingPongOverTwoCapacityOneChannelsCompletes) {
  const int rounds = kOptimized ? 1'000'000 : 200'000;
  Runtime rt({.workers = 2});
  JoinHandle<void> a;
  JoinHandle<int> b;
  {
    auto [to_b, from_a] = channel::bounded<int>(1);
    auto [to_a, from_b] = channel::bounded<int>(1);
    b = rt.spawn(pong(from_a, to_a));
    a = rt.spawn(ping(to_b, from_b, rounds));
  }
  a.wait();
  EXPECT_EQ(b.wait(), rounds);  // a's Sender died with a: b saw "closed"
}

Task<std::optional<int>> recv_flagged(Receiver<int> rx, std::atomic<bool>& started,
                                      troupe::test::Countdown& done) {
  started.store(true);
  auto v = co_await rx.recv();
  done.count_down();
  co_return v;
}

Task<bool> send_flagged(Sender<int> tx, int v, std::atomic<bool>& started,
                        troupe::test::Countdown& done) {
  started.store(true);
  const bool sent = (co_await tx.send(v)).is_sent();
  done.count_down();
  co_return sent;
}

// Busy-waits for `flag`, to act the moment it rises (a futex wait would
// react too late to race), yielding now and then in case the task's worker
// needs this core to run at all. Then spins `jitter` more loads: varied
// over the rounds, it sweeps the caller's next step across the task's park.
void spin_until(const std::atomic<bool>& flag, unsigned jitter) {
  for (unsigned spins = 1; !flag.load(std::memory_order_relaxed); ++spins) {
    if (spins % 4096 == 0) std::this_thread::yield();
  }
  for (unsigned i = 0; i < jitter; ++i) (void)flag.load(std::memory_order_relaxed);
}

// A task is about to wait on a channel (it has raised `started`) while this
// thread makes the awaited event happen: the two race through the task's
// park (enlist, then re-check) over and over. A wake lost in that window
// leaves the task parked forever: the round waits for it with the
// fail-fast deadline and the test fails. Rounds go on for a time budget
// (and at least two sweeps of the jitter), so that a loaded machine, where
// the spinning thread and the worker take turns on the cores, still ends
// in seconds.
TEST(Channel, AnEventRacingATaskThatIsParkingAlwaysWakesIt) {
  const int max_rounds = kOptimized ? 100'000 : 20'000;
  constexpr int kMinRounds = 2 * 512;
  constexpr auto kBudget = std::chrono::seconds(2);
  Runtime rt({.workers = 2});
  const auto start = std::chrono::steady_clock::now();
  int rounds = 0;
  for (int i = 0; i < max_rounds; ++i, rounds = i) {
    if (i >= kMinRounds && std::chrono::steady_clock::now() - start > kBudget) break;
    {
      auto [tx, rx] = channel::bounded<int>(1);
      std::atomic<bool> started{false};
      troupe::test::Countdown done(1);
      auto h = rt.spawn(recv_flagged(rx, started, done));
      spin_until(started, i % 512);
      ASSERT_TRUE(tx.try_send(i).is_sent());  // races the receiver's park
      if (!done.wait_for()) {
        h.cancel();
        FAIL() << "round " << i << ": the receiver missed the item's wake";
      }
      ASSERT_EQ(h.wait(), i);
    }
    {
      auto [tx, rx] = channel::bounded<int>(1);
      ASSERT_TRUE(tx.try_send(-1).is_sent());
      std::atomic<bool> started{false};
      troupe::test::Countdown done(1);
      auto h = rt.spawn(send_flagged(tx, i, started, done));
      spin_until(started, i % 512);
      // Frees the slot, racing the sender's park. The sender may slip its
      // item in before this dequeue completes, and items from two threads
      // are not ordered: either may come out first.
      const int first = rx.try_recv().value();
      if (!done.wait_for()) {
        h.cancel();
        FAIL() << "round " << i << ": the sender missed the free slot's wake";
      }
      ASSERT_TRUE(h.wait());
      const int second = rx.try_recv().value();
      ASSERT_EQ(std::min(first, second), -1);
      ASSERT_EQ(std::max(first, second), i);
    }
  }
  EXPECT_GE(rounds, kMinRounds);
}

// --- Blocking calls ------------------------------------------------------------

Task<int> echo(Receiver<int> in, Sender<int> out) {
  int n = 0;
  while (auto v = co_await in.recv()) {
    const auto sent = co_await out.send(*v + 1);  // bound first: see produce_ids
    if (!sent.is_sent()) break;
    ++n;
  }
  co_return n;
}

TEST(Channel, BlockingCallsOnAPlainThreadTalkToATask) {
  // Up to max_rounds; the budget ends it sooner on a loaded machine, where
  // each round trip waits for time slices. A lost wake blocks for good: the
  // watchdog, fed by the rounds, fails the test then.
  const int max_rounds = kOptimized ? 100'000 : 20'000;
  const troupe::test::RoundBudget budget(2'000, std::chrono::seconds(2));
  std::atomic<std::int64_t> rounds{0};
  troupe::test::Watchdog watchdog("the blocking round trips", troupe::test::kFailFast, &rounds);
  Runtime rt({.workers = 2});
  auto [to_task, task_in] = channel::bounded<int>(1);
  auto [task_out, from_task] = channel::bounded<int>(1);
  auto h = rt.spawn(echo(std::move(task_in), std::move(task_out)));
  for (int i = 0; i < max_rounds && budget.allows(i); ++i) {
    ASSERT_TRUE(to_task.send_blocking(i).is_sent());
    auto v = from_task.recv_blocking();
    ASSERT_TRUE(v.has_value());
    ASSERT_EQ(*v, i + 1);
    rounds.fetch_add(1);
  }
  to_task.close();
  EXPECT_GE(rounds.load(), 2'000);
  EXPECT_EQ(h.wait(), rounds.load());
  EXPECT_FALSE(from_task.recv_blocking().has_value());  // the task's Sender is gone
}

// Plain threads produce with send_blocking into tasks, which forward to
// plain threads consuming with recv_blocking.
TEST(Channel, PlainThreadsAndTasksShareOneChannelEachWay) {
  constexpr int kThreads = 3;
  const std::uint64_t per_thread = kOptimized ? 50'000 : 5'000;
  Runtime rt({.workers = 2});
  // Named handles rather than structured bindings: the threads capture them.
  Sender<std::uint64_t> in_tx, out_tx;
  Receiver<std::uint64_t> in_rx, out_rx;
  std::tie(in_tx, in_rx) = channel::bounded<std::uint64_t>(4);
  std::tie(out_tx, out_rx) = channel::bounded<std::uint64_t>(4);
  auto forward = [](Receiver<std::uint64_t> in, Sender<std::uint64_t> out) -> Task<void> {
    while (auto v = co_await in.recv()) EXPECT_TRUE((co_await out.send(*v)).is_sent());
  };
  std::vector<JoinHandle<void>> forwarders;
  for (int i = 0; i < 2; ++i) forwarders.push_back(rt.spawn(forward(in_rx, out_tx)));
  in_rx = {};
  out_tx = {};

  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      Sender<std::uint64_t> tx = in_tx;
      for (std::uint64_t v = t * per_thread; v < (t + 1) * per_thread; ++v) {
        EXPECT_TRUE(tx.send_blocking(v).is_sent());
      }
    });
  }
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> sum{0};
  std::vector<std::thread> consumers;
  for (int t = 0; t < 2; ++t) {
    consumers.emplace_back([&] {
      Receiver<std::uint64_t> rx = out_rx;
      while (auto v = rx.recv_blocking()) {
        count.fetch_add(1);
        sum.fetch_add(*v);
      }
    });
  }
  for (auto& t : producers) t.join();
  in_tx = {};  // the last Sender: the forwarders drain and end
  for (auto& h : forwarders) h.wait();
  out_rx = {};
  for (auto& t : consumers) t.join();
  const std::uint64_t total = kThreads * per_thread;
  EXPECT_EQ(count.load(), total);
  EXPECT_EQ(sum.load(), total * (total - 1) / 2);
}

// --- Value types ---------------------------------------------------------------

Task<void> send_boxes(Sender<std::unique_ptr<int>> tx, int n) {
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE((co_await tx.send(std::make_unique<int>(i))).is_sent());
  }
}

Task<long> sum_boxes(Receiver<std::unique_ptr<int>> rx) {
  long sum = 0;
  while (auto box = co_await rx.recv()) sum += **box;
  co_return sum;
}

TEST(Channel, MoveOnlyValuesGoThrough) {
  constexpr int kItems = 10'000;
  Runtime rt({.workers = 2});
  JoinHandle<void> producer;
  JoinHandle<long> consumer;
  {
    auto [tx, rx] = channel::bounded<std::unique_ptr<int>>(8);
    ASSERT_TRUE(tx.try_send(std::make_unique<int>(-1)).is_sent());
    auto first = rx.try_recv();
    ASSERT_TRUE(first.is_received());
    EXPECT_EQ(*first.value(), -1);
    consumer = rt.spawn(sum_boxes(rx));
    producer = rt.spawn(send_boxes(tx, kItems));
  }
  producer.wait();
  EXPECT_EQ(consumer.wait(), long{kItems} * (kItems - 1) / 2);
}

}  // namespace
