// The cooperative budget (runtime/detail/budget.hpp): a task whose channel
// operations keep completing at once yields after kTaskBudget of them in one
// run, so the tasks queued behind it on its worker run before it goes on.
#include <atomic>
#include <cstdint>

#include <gtest/gtest.h>

#include <troupe/channels/channel.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/detail/budget.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

namespace {

using troupe::Task;
using troupe::detail::kTaskBudget;

constexpr std::int64_t kOps = 2 * kTaskBudget + 100;

// Records how many operations the busy task had done when this task first
// ran: with one worker, it runs only when the busy task yields (or ends).
Task<std::int64_t> observe(const std::atomic<std::int64_t>& done) { co_return done.load(); }

Task<std::int64_t> send_all(troupe::Sender<std::int64_t> tx, std::atomic<std::int64_t>& done) {
  auto observer = troupe::spawn(observe(done));
  for (std::int64_t i = 0; i < kOps; ++i) {
    if (!(co_await tx.send(i)).is_sent()) co_return -1;
    done.store(i + 1);
  }
  co_return co_await observer;
}

TEST(Budget, ASenderThatNeverWaitsYieldsAfterItsBudget) {
  troupe::Runtime rt({.workers = 1});
  auto [tx, rx] = troupe::channel::bounded<std::int64_t>(kOps);
  std::atomic<std::int64_t> done{0};
  const std::int64_t seen = rt.spawn(send_all(std::move(tx), done)).wait();
  EXPECT_EQ(seen, kTaskBudget) << "the queued task ran when the sender yielded";
  std::int64_t sum = 0;
  std::int64_t count = 0;
  for (auto r = rx.try_recv(); r.is_received(); r = rx.try_recv()) {
    sum += r.value();
    ++count;
  }
  EXPECT_EQ(count, kOps) << "the yield delays a send, it loses none";
  EXPECT_EQ(sum, kOps * (kOps - 1) / 2);
}

template <class Rx>
Task<std::int64_t> receive_all(Rx rx, std::atomic<std::int64_t>& done, std::int64_t& sum) {
  auto observer = troupe::spawn(observe(done));
  while (auto v = co_await rx.recv()) {
    sum += *v;
    done.store(done.load() + 1);
  }
  co_return co_await observer;
}

template <class Channel>
void check_receiver_yields(Channel channel) {
  troupe::Runtime rt({.workers = 1});
  auto& [tx, rx] = channel;
  for (std::int64_t i = 0; i < kOps; ++i) ASSERT_TRUE(tx.try_send(i).is_sent());
  tx = {};  // the last sender gone: the receiver ends after the last item
  std::atomic<std::int64_t> done{0};
  std::int64_t sum = 0;
  const std::int64_t seen = rt.spawn(receive_all(std::move(rx), done, sum)).wait();
  EXPECT_EQ(seen, kTaskBudget);
  EXPECT_EQ(done.load(), kOps);
  EXPECT_EQ(sum, kOps * (kOps - 1) / 2);
}

TEST(Budget, AReceiverThatAlwaysFindsAnItemYieldsAfterItsBudget) {
  check_receiver_yields(troupe::channel::bounded<std::int64_t>(kOps));
}

TEST(Budget, AnMpscReceiverYieldsAfterItsBudgetToo) {
  check_receiver_yields(troupe::channel::mpsc::bounded<std::int64_t>(kOps));
}

TEST(Budget, OffAWorkerThereIsNoBudget) {
  // A TestExecutor (and a simulation) runs every task on the test's
  // thread, where nothing else would run in a yield: no budget there.
  troupe::TestExecutor ex;
  auto [tx, rx] = troupe::channel::bounded<std::int64_t>(kOps);
  std::atomic<std::int64_t> done{0};
  auto h = ex.spawn(send_all(std::move(tx), done));
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), kOps) << "the observer ran only after the sender ended";
}

}  // namespace
