#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/detail/waiter_list.hpp>
#include <troupe/runtime/detail/wake_target.hpp>
#include <troupe/runtime/waker.hpp>

#include "../runtime/test_support.hpp"

namespace {

using troupe::Waker;
using troupe::detail::ChannelWaiter;
using troupe::detail::WaiterList;
using troupe::test::CountingTarget;

/// A waker source like Context, for a CountingTarget.
class TargetContext {
 public:
  explicit TargetContext(troupe::detail::WakeTarget& t) noexcept : target_(&t) {}
  bool will_wake(const Waker& w) const noexcept { return w.will_wake(target_); }
  Waker waker() const noexcept { return Waker::retain(target_); }

 private:
  troupe::detail::WakeTarget* target_;
};

TEST(WaiterList, NotifyOneWakesTheOldestWaiterAndMarksItNotified) {
  WaiterList list;
  CountingTarget a, b;
  ChannelWaiter wa, wb;
  list.enlist(wa, TargetContext(a));
  list.enlist(wb, TargetContext(b));
  EXPECT_EQ(list.size(), 2u);

  list.notify_one();
  EXPECT_EQ(a.wakes.load(), 1);
  EXPECT_EQ(b.wakes.load(), 0);
  EXPECT_EQ(list.size(), 1u);
  EXPECT_TRUE(list.remove(wa));   // notified: the caller owes that wake
  EXPECT_FALSE(list.remove(wb));  // still linked, never notified
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(a.refs.load(), 0);  // no waker reference left behind
  EXPECT_EQ(b.refs.load(), 0);
}

TEST(WaiterList, NotifyOneOnAnEmptyListDoesNothing) {
  WaiterList list;
  list.notify_one();
  list.notify_all();
  EXPECT_EQ(list.size(), 0u);
}

TEST(WaiterList, EnlistingAgainKeepsTheWaiterOnceAndItsPlace) {
  WaiterList list;
  CountingTarget a, b;
  ChannelWaiter wa, wb;
  list.enlist(wa, TargetContext(a));
  list.enlist(wb, TargetContext(b));
  list.enlist(wa, TargetContext(a));  // a re-poll while parked
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(a.refs.load(), 1);  // the same waker is kept, not retaken
  list.notify_one();
  EXPECT_EQ(a.wakes.load(), 1);
  EXPECT_EQ(b.wakes.load(), 0);
  list.remove(wa);
  list.remove(wb);
}

TEST(WaiterList, ANotifiedWaiterThatEnlistsAgainHasSpentItsWake) {
  WaiterList list;
  CountingTarget a;
  ChannelWaiter wa;
  list.enlist(wa, TargetContext(a));
  list.notify_one();
  list.enlist(wa, TargetContext(a));  // tried, failed, parks again
  EXPECT_EQ(list.size(), 1u);
  EXPECT_FALSE(list.remove(wa));
}

TEST(WaiterList, EnlistReplacesTheWakerOfAnotherTask) {
  WaiterList list;
  CountingTarget a, b;
  ChannelWaiter w;
  list.enlist(w, TargetContext(a));
  list.enlist(w, TargetContext(b));
  EXPECT_EQ(a.refs.load(), 0);
  list.notify_one();
  EXPECT_EQ(a.wakes.load(), 0);
  EXPECT_EQ(b.wakes.load(), 1);
  list.remove(w);
}

TEST(WaiterList, NotifyAllWakesEveryWaiter) {
  WaiterList list;
  CountingTarget t[3];
  ChannelWaiter w[3];
  for (int i = 0; i < 3; ++i) list.enlist(w[i], TargetContext(t[i]));
  list.notify_all();
  EXPECT_EQ(list.size(), 0u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t[i].wakes.load(), 1);
    EXPECT_TRUE(list.remove(w[i]));
  }
}

/// A waiter that parks again the moment it is woken, like a receiver that
/// re-polls at once and still finds nothing.
class ReEnlister final : public troupe::detail::WakeTarget {
 public:
  ReEnlister(WaiterList& list, ChannelWaiter& node) : list_(list), node_(node) {}
  void wake() noexcept override {
    wakes.fetch_add(1);
    list_.enlist(node_, TargetContext(*this));
  }
  void retain() noexcept override {}
  void release() noexcept override {}
  std::atomic<int> wakes{0};

 private:
  WaiterList& list_;
  ChannelWaiter& node_;
};

TEST(WaiterList, NotifyAllEndsEvenWhenWokenWaitersParkAgainAtOnce) {
  WaiterList list;
  ChannelWaiter w[2];
  ReEnlister r0(list, w[0]);
  ReEnlister r1(list, w[1]);
  list.enlist(w[0], TargetContext(r0));
  list.enlist(w[1], TargetContext(r1));
  list.notify_all();
  EXPECT_EQ(r0.wakes.load(), 1);
  EXPECT_EQ(r1.wakes.load(), 1);
  EXPECT_EQ(list.size(), 2u);  // both parked again, not woken again
  EXPECT_FALSE(list.remove(w[0]));
  EXPECT_FALSE(list.remove(w[1]));
}

// Waiters enlist and leave from several threads while others notify: every
// notify that finds the list non-empty wakes exactly one waiter.
TEST(WaiterList, ConcurrentEnlistRemoveAndNotifyKeepTheListConsistent) {
  constexpr int kRounds = 20'000;
  WaiterList list;
  CountingTarget targets[2];
  std::atomic<int> notified{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      ChannelWaiter w;
      for (int i = 0; i < kRounds; ++i) {
        list.enlist(w, TargetContext(targets[t]));
        if (list.remove(w)) notified.fetch_add(1);
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < kRounds; ++i) list.notify_one();
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(notified.load(), targets[0].wakes.load() + targets[1].wakes.load());
  EXPECT_EQ(targets[0].refs.load(), 0);
  EXPECT_EQ(targets[1].refs.load(), 0);
}

}  // namespace
