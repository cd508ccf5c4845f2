// The MPMC channel's handles and their queue tokens: per-sender order across
// thread migration, handles shared by several tasks, token lifetimes, close
// with many senders, and sends or receives whose move throws.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
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

namespace channel_order_test {

using troupe::JoinHandle;
using troupe::Receiver;
using troupe::Runtime;
using troupe::Sender;
using troupe::Task;
using troupe::test::kOptimized;
namespace channel = troupe::channel;

struct Item {
  std::uint32_t sender;
  std::uint64_t seq;
};

// The id of the calling thread, opaque to the optimizer (see the same helper
// in mpsc_test.cpp: clang keeps pthread_self() across suspension points).
[[gnu::noinline]] std::thread::id this_thread_id() {
  asm volatile("" ::: "memory");
  return std::this_thread::get_id();
}

// Sends (id, 0..n-1) through `tx`, yielding every 8 sends so that the
// runtime moves the task between its workers; counts the moves.
Task<void> send_in_order(const Sender<Item>& tx, std::uint32_t id, std::uint64_t n,
                         std::atomic<std::uint64_t>& migrations) {
  auto last = this_thread_id();
  for (std::uint64_t i = 0; i < n; ++i) {
    EXPECT_TRUE((co_await tx.send(Item{id, i})).is_sent());
    if (i % 8 == 7) co_await troupe::yield_now();
    if (this_thread_id() != last) {
      last = this_thread_id();
      migrations.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

Task<void> own_sender_in_order(Sender<Item> tx, std::uint32_t id, std::uint64_t n,
                               std::atomic<std::uint64_t>& migrations) {
  co_await send_in_order(tx, id, n, migrations);
}

struct Seen {
  std::uint64_t count = 0;
  std::uint64_t reorders = 0;  // items older than one already seen from their sender
};

// Receives until the channel is closed and drained; each receiver must see
// every sender's items in increasing order (other receivers take some).
Task<Seen> receive_checking(Receiver<Item> rx, std::size_t senders) {
  std::vector<std::uint64_t> next(senders, 0);
  Seen s;
  while (auto item = co_await rx.recv()) {
    if (item->seq < next[item->sender]) ++s.reorders;
    next[item->sender] = item->seq + 1;
    ++s.count;
  }
  co_return s;
}

// Four senders, each a copy of the first Sender (so each with its own token),
// two receivers, two workers: whatever threads a sending task runs on, its
// items arrive in order at each receiver. Before the tokens, the queue kept
// order per thread only, and a task that moved reordered its items.
TEST(ChannelOrder, EachSendersItemsArriveInOrderDespiteThreadMigration) {
  constexpr std::uint32_t kSenders = 4;
  const std::uint64_t per_sender = kOptimized ? 50'000 : 10'000;
  std::atomic<std::uint64_t> migrations{0};
  // On a loaded machine one worker may do all the work for a whole run, so
  // the run repeats (a few times at most) until some sender changed threads.
  for (int attempt = 0; attempt < 5 && (attempt == 0 || migrations.load() == 0); ++attempt) {
    Runtime rt({.workers = 2});
    std::vector<JoinHandle<Seen>> receivers;
    std::vector<JoinHandle<void>> senders;
    {
      auto [tx, rx] = channel::bounded<Item>(16);
      for (int r = 0; r < 2; ++r) receivers.push_back(rt.spawn(receive_checking(rx, kSenders)));
      for (std::uint32_t s = 0; s < kSenders; ++s) {
        senders.push_back(rt.spawn(own_sender_in_order(tx, s, per_sender, migrations)));
      }
    }  // the senders hold the last Senders: the channel closes when they end
    for (auto& h : senders) h.wait();
    Seen all;
    for (auto& h : receivers) {
      const Seen s = h.wait();
      all.count += s.count;
      all.reorders += s.reorders;
    }
    EXPECT_EQ(all.count, per_sender * kSenders);
    EXPECT_EQ(all.reorders, 0u);
  }
  EXPECT_GT(migrations.load(), 0u) << "no sender ever changed threads in 5 runs";
}

// Several tasks send through one Sender object at once (a Sender shared by
// reference, as a semaphore channel in a struct is): they take turns with
// its token, nothing is lost, and each task's own sends stay in order.
TEST(ChannelOrder, TasksSharingOneSenderObjectKeepTheirOwnOrder) {
  constexpr std::uint32_t kTasks = 8;
  const std::uint64_t per_task = kOptimized ? 20'000 : 4'000;
  Runtime rt({.workers = 2});
  std::atomic<std::uint64_t> migrations{0};
  auto [tx, rx] = channel::bounded<Item>(8);
  auto receiver = rt.spawn(receive_checking(std::move(rx), kTasks));
  std::vector<JoinHandle<void>> senders;
  for (std::uint32_t t = 0; t < kTasks; ++t) {
    senders.push_back(rt.spawn(send_in_order(tx, t, per_task, migrations)));
  }
  for (auto& h : senders) h.wait();
  tx.close();
  const Seen s = receiver.wait();
  EXPECT_EQ(s.count, per_task * kTasks);
  EXPECT_EQ(s.reorders, 0u);
}

Task<std::uint64_t> receive_sum(const Receiver<std::uint64_t>& rx) {
  std::uint64_t sum = 0;
  while (auto v = co_await rx.recv()) sum += *v;
  co_return sum;
}

Task<void> send_range(Sender<std::uint64_t> tx, std::uint64_t first, std::uint64_t n) {
  for (std::uint64_t v = first; v < first + n; ++v) {
    EXPECT_TRUE((co_await tx.send(v)).is_sent());
  }
}

// Several tasks receive through one Receiver object at once: a receive whose
// token is in use on another thread goes without it. Every item arrives once.
TEST(ChannelOrder, TasksSharingOneReceiverObjectGetEveryItemOnce) {
  const std::uint64_t per_sender = kOptimized ? 50'000 : 10'000;
  Runtime rt({.workers = 2});
  auto [tx, rx] = channel::bounded<std::uint64_t>(8);
  std::vector<JoinHandle<std::uint64_t>> receivers;
  for (int r = 0; r < 4; ++r) receivers.push_back(rt.spawn(receive_sum(rx)));
  std::vector<JoinHandle<void>> senders;
  for (std::uint64_t s = 0; s < 2; ++s) {
    senders.push_back(rt.spawn(send_range(tx, s * per_sender, per_sender)));
  }
  { auto gone = std::move(tx); }  // the senders hold the last Senders
  for (auto& h : senders) h.wait();
  std::uint64_t sum = 0;
  for (auto& h : receivers) sum += h.wait();
  const std::uint64_t total = 2 * per_sender;
  EXPECT_EQ(sum, total * (total - 1) / 2);
}

// Handles that made their tokens (each sent or received), copied, moved and
// assigned, then destroyed in every order: the tokens go before the queue
// (ASan would see a token outlive it), and the items still inside are
// destroyed with the channel's last Receiver.
TEST(ChannelOrder, HandlesWithTokensCanBeDestroyedInAnyOrder) {
  auto probe = std::make_shared<int>(0);
  std::array<int, 6> order{0, 1, 2, 3, 4, 5};
  int orders = 0;
  do {
    std::array<std::optional<Sender<std::shared_ptr<int>>>, 3> senders;
    std::array<std::optional<Receiver<std::shared_ptr<int>>>, 3> receivers;
    {
      auto [tx, rx] = channel::unbounded<std::shared_ptr<int>>();
      ASSERT_TRUE(tx.try_send(probe).is_sent());  // tx's token
      senders[0].emplace(tx);                     // a copy: a token of its own
      ASSERT_TRUE(senders[0]->try_send(probe).is_sent());
      senders[1].emplace(std::move(tx));  // the move takes tx's token along
      ASSERT_TRUE(senders[1]->try_send(probe).is_sent());
      senders[2].emplace(*senders[0]);
      ASSERT_TRUE(senders[2]->try_send(probe).is_sent());
      Sender<std::shared_ptr<int>> another_tx(*senders[0]);
      ASSERT_TRUE(another_tx.try_send(probe).is_sent());
      *senders[2] = std::move(another_tx);  // swaps two tokens: its old one goes at once
      ASSERT_TRUE(senders[2]->try_send(probe).is_sent());
      ASSERT_TRUE(rx.try_recv().is_received());  // rx's token
      receivers[0].emplace(rx);
      ASSERT_TRUE(receivers[0]->try_recv().is_received());
      receivers[1].emplace(std::move(rx));
      receivers[2].emplace(*receivers[1]);
      ASSERT_TRUE(receivers[2]->try_recv().is_received());
      Receiver<std::shared_ptr<int>> another_rx(*receivers[0]);
      ASSERT_TRUE(another_rx.try_recv().is_received());
      *receivers[2] = std::move(another_rx);
    }
    EXPECT_EQ(probe.use_count(), 3);  // two items left inside
    for (int i : order) {
      if (i < 3) {
        senders[i].reset();
      } else {
        receivers[i - 3].reset();
      }
    }
    EXPECT_EQ(probe.use_count(), 1) << "an item outlived the channel";
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(orders, 720);
}

Task<void> send_until_closed(Sender<std::uint64_t> tx, std::uint64_t first,
                             std::atomic<std::uint64_t>& sent, std::atomic<std::uint64_t>& sum,
                             std::atomic<int>& wrong_value_back) {
  for (std::uint64_t v = first;; ++v) {
    // Bound first: g++ 12.2 miscompiles a co_await in an if condition.
    auto r = co_await tx.send(v);
    if (r.is_closed()) {
      if (r.value() != v) wrong_value_back.fetch_add(1);
      co_return;
    }
    sent.fetch_add(1);
    sum.fetch_add(v);
  }
}

// Many senders, each with its own token and many of them parked on the full
// channel, when a receiver closes it: each gets its refused value back, and
// every accepted item is received exactly once, after the close too.
TEST(ChannelOrder, CloseWithManySendersHoldingTokensLosesNoAcceptedItem) {
  constexpr int kSenders = 32;
  constexpr std::uint64_t kSpan = 1'000'000'000;  // each sender's own values
  const std::uint64_t before_close = kOptimized ? 100'000 : 20'000;
  Runtime rt({.workers = 2});
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> sent_sum{0};
  std::atomic<int> wrong_value_back{0};
  auto [tx, rx] = channel::bounded<std::uint64_t>(4);
  std::vector<JoinHandle<void>> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(rt.spawn(send_until_closed(tx, static_cast<std::uint64_t>(s) * kSpan, sent,
                                                 sent_sum, wrong_value_back)));
  }
  { auto gone = std::move(tx); }
  auto receiver =
      rt.spawn([](Receiver<std::uint64_t> rx,
                  std::uint64_t before_close) -> Task<std::pair<std::uint64_t, std::uint64_t>> {
        std::uint64_t count = 0;
        std::uint64_t sum = 0;
        while (auto v = co_await rx.recv()) {
          ++count;
          sum += *v;
          if (count == before_close) rx.close();  // senders parked or mid-send
        }
        co_return std::pair{count, sum};
      }(std::move(rx), before_close));
  for (auto& h : senders) h.wait();
  const auto [count, sum] = receiver.wait();
  EXPECT_EQ(count, sent.load());
  EXPECT_EQ(sum, sent_sum.load());
  EXPECT_GE(count, before_close);
  EXPECT_EQ(wrong_value_back.load(), 0);
}

// A value whose move constructor throws on its `throw_in`-th move (counting
// down along the chain of moves; never, if it starts below 1).
class Fragile {
 public:
  explicit Fragile(int v, int throw_in = 0) : v_(v), throw_in_(throw_in) {}
  Fragile(Fragile&& other) : v_(other.v_), throw_in_(other.throw_in_ - 1) {
    if (throw_in_ == 0) throw std::runtime_error("Fragile moved");
  }
  Fragile& operator=(Fragile&& other) {
    v_ = other.v_;
    throw_in_ = other.throw_in_ - 1;
    if (throw_in_ == 0) throw std::runtime_error("Fragile moved");
    return *this;
  }
  int value() const { return v_; }

 private:
  int v_;
  int throw_in_;
};

// The move into the queue throws: the send throws, its slot is free again
// at once, and no receiver is left waiting for the item that never came.
TEST(ChannelOrder, ASendWhoseMoveThrowsGivesItsSlotBack) {
  auto [tx, rx] = channel::bounded<Fragile>(1);
  EXPECT_THROW((void)tx.try_send(Fragile(1, 1)), std::runtime_error);
  EXPECT_EQ(tx.size(), 0u);
  EXPECT_TRUE(rx.try_recv().is_empty());  // returns: nothing is counted as on its way
  ASSERT_TRUE(tx.try_send(Fragile(2)).is_sent());
  EXPECT_TRUE(tx.try_send(Fragile(3)).is_full());
  auto r = rx.try_recv();
  ASSERT_TRUE(r.is_received());
  EXPECT_EQ(r.value().value(), 2);
  tx.close();
  EXPECT_TRUE(rx.try_recv().is_closed());
}

// The move out of the queue throws: the receive throws, the item is gone
// and its slot free, and the channel goes on.
TEST(ChannelOrder, AReceiveWhoseMoveThrowsFreesTheSlot) {
  auto [tx, rx] = channel::bounded<Fragile>(1);
  ASSERT_TRUE(tx.try_send(Fragile(1, 2)).is_sent());  // the move in is the first
  EXPECT_THROW((void)rx.try_recv(), std::runtime_error);
  EXPECT_EQ(rx.size(), 0u);
  ASSERT_TRUE(tx.try_send(Fragile(2)).is_sent());
  auto r = rx.try_recv();
  ASSERT_TRUE(r.is_received());
  EXPECT_EQ(r.value().value(), 2);
}

}  // namespace channel_order_test
