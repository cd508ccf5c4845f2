#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/detail/timer_queue.hpp>
#include <troupe/runtime/waker.hpp>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::Instant;
using troupe::Waker;
using troupe::detail::TimerQueue;
using troupe::test::CountingTarget;

// An arbitrary instant, the origin of the deadlines below.
constexpr Instant kOrigin = Instant(1h);

// A wake target that appends its id to a shared log when woken.
class RecordingTarget final : public troupe::detail::WakeTarget {
 public:
  RecordingTarget(std::vector<int>& log, int id) : log_(&log), id_(id) {}
  void wake() noexcept override { log_->push_back(id_); }
  void retain() noexcept override {}
  void release() noexcept override {}

 private:
  std::vector<int>* log_;
  int id_;
};

// Entries (deque: stable addresses) with their recording wakers.
struct Timers {
  std::vector<int> log;
  std::deque<RecordingTarget> targets;
  std::deque<TimerQueue::Entry> entries;

  TimerQueue::Entry& add(TimerQueue& q, Instant deadline) {
    const int id = static_cast<int>(entries.size());
    targets.emplace_back(log, id);
    auto& e = entries.emplace_back();
    e.deadline = deadline;
    EXPECT_FALSE(q.arm(e, Waker::retain(&targets.back())));
    return e;
  }
};

TEST(TimerQueue, FiresEntriesInDeadlineOrder) {
  Timers t;  // outlives the queue that points into it
  TimerQueue q;
  constexpr int kN = 64;
  // Scrambled deadlines: entry i is due at slot (i * 29) % 64 (29 is coprime).
  std::vector<int> id_of_slot(kN);
  for (int i = 0; i < kN; ++i) {
    const int slot = (i * 29) % kN;
    id_of_slot[slot] = i;
    t.add(q, kOrigin + std::chrono::seconds(slot));
  }
  EXPECT_EQ(q.size(), static_cast<std::size_t>(kN));
  EXPECT_EQ(q.fire_due(kOrigin + 1h), std::nullopt);
  EXPECT_EQ(t.log, id_of_slot);
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueue, FireDueFiresOnlyDueEntriesAndReturnsTheNextDeadline) {
  Timers t;  // outlives the queue that points into it
  TimerQueue q;
  t.add(q, kOrigin + 3s);
  t.add(q, kOrigin + 1s);
  t.add(q, kOrigin + 2s);
  EXPECT_EQ(q.fire_due(kOrigin), kOrigin + 1s) << "nothing due yet";
  EXPECT_TRUE(t.log.empty());
  EXPECT_EQ(q.fire_due(kOrigin + 2s), kOrigin + 3s) << "a deadline equal to now is due";
  EXPECT_EQ(t.log, (std::vector<int>{1, 2}));
  EXPECT_EQ(q.next_deadline(), kOrigin + 3s);
  EXPECT_EQ(q.size(), 1u);
}

TEST(TimerQueue, FireDueOnAnEmptyQueueReturnsNoDeadline) {
  TimerQueue q;
  EXPECT_EQ(q.fire_due(kOrigin), std::nullopt);
  EXPECT_EQ(q.next_deadline(), std::nullopt);
}

TEST(TimerQueue, DisarmFromTheMiddleOfTheHeapKeepsTheRestInOrder) {
  Timers t;  // outlives the queue that points into it
  TimerQueue q;
  constexpr int kN = 31;
  for (int i = 0; i < kN; ++i) t.add(q, kOrigin + std::chrono::seconds((i * 7) % kN));
  // Remove entries sitting at inner positions of the heap (not the root, not
  // the last leaf), so both sift directions are exercised.
  std::vector<int> removed;
  for (std::size_t pos : {std::size_t{1}, std::size_t{5}, std::size_t{12}, std::size_t{3}}) {
    for (int i = 0; i < kN; ++i) {
      if (t.entries[i].index == pos) {
        q.disarm(t.entries[i]);
        removed.push_back(i);
        break;
      }
    }
  }
  ASSERT_EQ(removed.size(), 4u);
  EXPECT_EQ(q.size(), static_cast<std::size_t>(kN - 4));
  for (int id : removed) EXPECT_EQ(t.entries[id].index, TimerQueue::kNone);
  q.fire_due(kOrigin + 1h);
  std::vector<int> want;
  for (int slot = 0; slot < kN; ++slot) {
    for (int i = 0; i < kN; ++i) {
      if ((i * 7) % kN == slot && std::find(removed.begin(), removed.end(), i) == removed.end()) {
        want.push_back(i);
      }
    }
  }
  EXPECT_EQ(t.log, want);
}

TEST(TimerQueue, DisarmOfTheRootMakesTheNextEarliestTheRoot) {
  Timers t;  // outlives the queue that points into it
  TimerQueue q;
  auto& first = t.add(q, kOrigin + 1s);
  t.add(q, kOrigin + 2s);
  q.disarm(first);
  EXPECT_EQ(q.next_deadline(), kOrigin + 2s);
  q.disarm(first);  // twice is harmless
  EXPECT_EQ(q.size(), 1u);
}

TEST(TimerQueue, ArmReportsAnEntryThatAlreadyFired) {
  TimerQueue q;
  CountingTarget target;
  TimerQueue::Entry e;
  e.deadline = kOrigin + 1s;
  EXPECT_FALSE(q.arm(e, Waker::retain(&target)));
  q.fire_due(kOrigin + 1s);
  EXPECT_EQ(target.wakes.load(), 1);
  EXPECT_TRUE(e.fired);
  EXPECT_TRUE(q.arm(e, Waker::retain(&target))) << "fired: no second registration";
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueue, ReArmingReplacesTheWakerWithoutAddingAnEntry) {
  TimerQueue q;
  CountingTarget old_target;
  CountingTarget new_target;
  TimerQueue::Entry e;
  e.deadline = kOrigin + 1s;
  ASSERT_FALSE(q.arm(e, Waker::retain(&old_target)));
  ASSERT_FALSE(q.arm(e, Waker::retain(&new_target)));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(old_target.refs.load(), 0) << "the replaced waker was released";
  q.fire_due(kOrigin + 1s);
  EXPECT_EQ(old_target.wakes.load(), 0);
  EXPECT_EQ(new_target.wakes.load(), 1);
  EXPECT_EQ(new_target.refs.load(), 0) << "firing releases the waker";
}

TEST(TimerQueue, DisarmReleasesTheWakerWithoutWaking) {
  TimerQueue q;
  CountingTarget target;
  TimerQueue::Entry e;
  e.deadline = kOrigin + 1s;
  ASSERT_FALSE(q.arm(e, Waker::retain(&target)));
  EXPECT_EQ(target.refs.load(), 1);
  q.disarm(e);
  EXPECT_EQ(target.refs.load(), 0);
  EXPECT_EQ(target.wakes.load(), 0);
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueue, OnEarlierIsCalledOnlyWhenTheEarliestDeadlineMovesEarlier) {
  int calls = 0;
  troupe::Instant told{};
  Timers t;
  TimerQueue q([&](troupe::Instant deadline) {
    ++calls;
    told = deadline;
  });
  t.add(q, kOrigin + 5s);
  EXPECT_EQ(calls, 1) << "the first entry is the earliest";
  EXPECT_EQ(told, kOrigin + 5s);
  t.add(q, kOrigin + 7s);
  EXPECT_EQ(calls, 1) << "a later deadline changes nothing for the driver";
  t.add(q, kOrigin + 2s);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(told, kOrigin + 2s) << "the driver is told the new earliest deadline";
}

TEST(TimerQueue, ConcurrentArmDisarmAndFireLoseNoEntryAndFireNoneTwice) {
  TimerQueue q;
  constexpr std::size_t kThreads = 4;
  constexpr std::size_t kPerThread = 2000;
  std::vector<CountingTarget> targets(kThreads * kPerThread);
  std::vector<TimerQueue::Entry> entries(kThreads * kPerThread);
  std::atomic<std::int64_t> clock_ms{0};
  std::atomic<bool> done{false};
  std::atomic<std::size_t> disarmed{0};

  std::thread firer([&] {
    while (!done.load()) q.fire_due(kOrigin + std::chrono::milliseconds(clock_ms.fetch_add(1)));
  });
  troupe::test::run_concurrently(kThreads, [&](std::size_t th) {
    for (std::size_t i = 0; i < kPerThread; ++i) {
      const std::size_t k = th * kPerThread + i;
      entries[k].deadline = kOrigin + std::chrono::milliseconds(clock_ms.load() + (k % 50));
      q.arm(entries[k], Waker::retain(&targets[k]));
      if (k % 3 == 0) {
        q.disarm(entries[k]);
        disarmed.fetch_add(1);
      }
    }
  });
  done.store(true);
  firer.join();
  q.fire_due(Instant::max());

  std::size_t woken = 0;
  for (std::size_t k = 0; k < targets.size(); ++k) {
    const int w = targets[k].wakes.load();
    ASSERT_LE(w, 1) << "entry " << k << " fired twice";
    if (k % 3 != 0) {
      EXPECT_EQ(w, 1) << "entry " << k << " was lost";
    }
    woken += static_cast<std::size_t>(w);
    EXPECT_EQ(targets[k].refs.load(), 0) << "entry " << k << " still holds its waker";
  }
  EXPECT_EQ(q.size(), 0u);
  EXPECT_GE(woken, targets.size() - disarmed.load());
}

}  // namespace
