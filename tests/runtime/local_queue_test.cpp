#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/detail/local_queue.hpp>

namespace {

using troupe::detail::LocalQueue;
using troupe::detail::TaskHeader;

// The queue only stores and compares pointers; it never dereferences them,
// so distinct addresses in a plain array stand in for tasks.
class Items {
 public:
  explicit Items(std::size_t n) : storage_(n) {}
  TaskHeader* operator[](std::size_t i) {
    return reinterpret_cast<TaskHeader*>(&storage_[i]);  // never dereferenced
  }
  std::size_t index_of(TaskHeader* t) {
    return static_cast<std::size_t>(reinterpret_cast<std::uint64_t*>(t) - storage_.data());
  }
  std::size_t size() const { return storage_.size(); }

 private:
  std::vector<std::uint64_t> storage_;
};

TEST(LocalQueue, PopOnAnEmptyQueueReturnsNull) {
  LocalQueue q;
  EXPECT_EQ(q.pop(), nullptr);
  EXPECT_TRUE(q.empty());
}

TEST(LocalQueue, PushThenPopIsFirstInFirstOut) {
  LocalQueue q;
  Items items(10);
  for (std::size_t i = 0; i < items.size(); ++i) ASSERT_TRUE(q.push(items[i]));
  EXPECT_EQ(q.size(), items.size());
  for (std::size_t i = 0; i < items.size(); ++i) EXPECT_EQ(q.pop(), items[i]);
  EXPECT_EQ(q.pop(), nullptr);
}

TEST(LocalQueue, PushFailsWhenTheQueueIsFull) {
  LocalQueue q;
  Items items(LocalQueue::kCapacity + 1);
  for (std::uint32_t i = 0; i < LocalQueue::kCapacity; ++i) ASSERT_TRUE(q.push(items[i]));
  EXPECT_FALSE(q.push(items[LocalQueue::kCapacity]));
  EXPECT_EQ(q.size(), LocalQueue::kCapacity);
  // One pop makes room for exactly one more.
  EXPECT_EQ(q.pop(), items[0]);
  EXPECT_TRUE(q.push(items[LocalQueue::kCapacity]));
  EXPECT_FALSE(q.push(items[0]));
}

TEST(LocalQueue, StaysFirstInFirstOutAcrossManyWrapArounds) {
  LocalQueue q;
  Items items(LocalQueue::kCapacity * 10);
  std::size_t next_pop = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    ASSERT_TRUE(q.push(items[i]));
    if (i % 3 != 0 || q.size() > LocalQueue::kCapacity / 2) {
      ASSERT_EQ(q.pop(), items[next_pop]);
      ++next_pop;
    }
  }
  while (TaskHeader* t = q.pop()) ASSERT_EQ(t, items[next_pop++]);
  EXPECT_EQ(next_pop, items.size());
}

TEST(LocalQueue, PopBatchTakesUpToMaxFromTheHead) {
  LocalQueue q;
  Items items(10);
  for (std::size_t i = 0; i < items.size(); ++i) ASSERT_TRUE(q.push(items[i]));
  TaskHeader* out[4];
  ASSERT_EQ(q.pop_batch(out, 4), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(out[i], items[i]);
  TaskHeader* rest[16];
  ASSERT_EQ(q.pop_batch(rest, 16), 6u);
  EXPECT_EQ(rest[0], items[4]);
  EXPECT_EQ(q.pop_batch(rest, 16), 0u);
}

TEST(LocalQueue, StealIntoTakesHalfRoundedUpAndReturnsTheOldest) {
  for (std::uint32_t n : {1u, 2u, 7u, 10u, LocalQueue::kCapacity}) {
    LocalQueue victim;
    LocalQueue thief;
    Items items(n);
    for (std::uint32_t i = 0; i < n; ++i) ASSERT_TRUE(victim.push(items[i]));
    const std::uint32_t taken = n - n / 2;
    EXPECT_EQ(victim.steal_into(thief), items[0]) << "n=" << n;
    EXPECT_EQ(thief.size(), taken - 1) << "n=" << n;
    EXPECT_EQ(victim.size(), n - taken) << "n=" << n;
    // The stolen items keep their order in the thief's queue...
    for (std::uint32_t i = 1; i < taken; ++i) EXPECT_EQ(thief.pop(), items[i]);
    // ...and the victim keeps the newer half.
    for (std::uint32_t i = taken; i < n; ++i) EXPECT_EQ(victim.pop(), items[i]);
  }
}

TEST(LocalQueue, StealFromAnEmptyQueueReturnsNullAndMovesNothing) {
  LocalQueue victim;
  LocalQueue thief;
  EXPECT_EQ(victim.steal_into(thief), nullptr);
  EXPECT_TRUE(thief.empty());
}

// The owner pushes and pops while three thieves steal into their own
// queues (and drain them, as a worker would): every item must come out of
// exactly one place exactly once. The owner starts once every thief runs;
// even so, on a loaded machine the thieves may not get a core before an
// optimized owner is done, so the run repeats (a few times at most) until
// some item was stolen. Every run must see every item exactly once.
TEST(LocalQueue, ConcurrentOwnerAndThreeThievesSeeEveryItemExactlyOnce) {
  constexpr std::size_t kItems = 500'000;
  constexpr int kThieves = 3;
  std::uint64_t steals_in_all = 0;
  for (int attempt = 0; attempt < 5 && steals_in_all == 0; ++attempt) {
    Items items(kItems);
    auto seen = std::make_unique<std::atomic<std::uint8_t>[]>(kItems);
    std::atomic<std::size_t> consumed{0};
    std::atomic<bool> owner_done{false};
    std::atomic<int> thieves_running{0};
    LocalQueue q;

    auto consume = [&](TaskHeader* t) {
      seen[items.index_of(t)].fetch_add(1, std::memory_order_relaxed);
      consumed.fetch_add(1, std::memory_order_relaxed);
    };

    std::vector<std::thread> thieves;
    std::atomic<std::uint64_t> steals{0};
    for (int i = 0; i < kThieves; ++i) {
      thieves.emplace_back([&] {
        LocalQueue mine;
        thieves_running.fetch_add(1, std::memory_order_release);
        for (;;) {
          const bool done = owner_done.load(std::memory_order_acquire);
          if (TaskHeader* t = q.steal_into(mine)) {
            steals.fetch_add(1, std::memory_order_relaxed);
            consume(t);
            while (TaskHeader* u = mine.pop()) consume(u);
          } else if (done) {
            return;  // the owner has stopped and the queue was empty after that
          }
        }
      });
    }
    while (thieves_running.load(std::memory_order_acquire) < kThieves) std::this_thread::yield();

    std::size_t next = 0;
    std::uint64_t tick = 0;
    while (next < kItems) {
      // Push a burst, then pop some back: both ends of the queue are busy.
      for (int b = 0; b < 8 && next < kItems; ++b) {
        if (q.push(items[next])) {
          ++next;
        } else if (TaskHeader* t = q.pop()) {
          consume(t);  // full: make room the way overflow would
        }
      }
      if (++tick % 3 == 0) {
        if (TaskHeader* t = q.pop()) consume(t);
      }
    }
    owner_done.store(true, std::memory_order_release);
    while (TaskHeader* t = q.pop()) consume(t);
    for (auto& t : thieves) t.join();

    EXPECT_EQ(consumed.load(), kItems);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < kItems; ++i) {
      if (seen[i].load() != 1) ++wrong;
    }
    EXPECT_EQ(wrong, 0u);
    steals_in_all += steals.load();
  }
  EXPECT_GT(steals_in_all, 0u)
      << "the thieves never got anything in 5 runs: the test proved nothing";
}

}  // namespace
