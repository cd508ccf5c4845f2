#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/detail/block_pool.hpp>

namespace {

using troupe::detail::BlockPool;
using troupe::detail::PooledObject;

struct Block {
  unsigned char* p;
  std::size_t size;
  unsigned char fill;
};

Block make(std::size_t size, unsigned char fill) {
  auto* p = static_cast<unsigned char*>(BlockPool::allocate(size));
  std::memset(p, fill, size);
  return {p, size, fill};
}

bool intact(const Block& b) {
  for (std::size_t i = 0; i < b.size; ++i) {
    if (b.p[i] != b.fill) return false;
  }
  return true;
}

TEST(BlockPool, EverySizeIsUsableAndAligned) {
  for (std::size_t size = 1; size <= BlockPool::kMaxSize + 64; ++size) {
    Block b = make(size, static_cast<unsigned char>(size));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.p) % alignof(std::max_align_t), 0u) << size;
    EXPECT_TRUE(intact(b)) << size;
    BlockPool::deallocate(b.p, b.size);
  }
}

// Blocks alive at the same time never share a byte, across reuse.
TEST(BlockPool, LiveBlocksNeverOverlap) {
  std::vector<Block> live;
  for (int round = 0; round < 4; ++round) {
    for (std::size_t i = 0; i < 5000; ++i) {
      const std::size_t size = 1 + (i * 37 + static_cast<std::size_t>(round) * 11) % 300;
      live.push_back(make(size, static_cast<unsigned char>(i + static_cast<std::size_t>(round))));
    }
    for (const Block& b : live) ASSERT_TRUE(intact(b));
    // Free every other block, so the next round reuses them among live ones.
    std::vector<Block> kept;
    for (std::size_t i = 0; i < live.size(); ++i) {
      if (i % 2 == 0) {
        BlockPool::deallocate(live[i].p, live[i].size);
      } else {
        kept.push_back(live[i]);
      }
    }
    live.swap(kept);
  }
  for (const Block& b : live) {
    EXPECT_TRUE(intact(b));
    BlockPool::deallocate(b.p, b.size);
  }
}

// The shape the pool is for: one thread makes blocks, another frees them,
// and the maker gets the freed blocks back instead of new memory.
TEST(BlockPool, BlocksFreedOnAnotherThreadComeBack) {
  constexpr std::size_t kSize = 232;
  constexpr std::size_t kCount = 1000;
  std::vector<Block> made;
  for (std::size_t i = 0; i < kCount; ++i) made.push_back(make(kSize, 0x5a));
  std::set<unsigned char*> first;
  for (const Block& b : made) first.insert(b.p);
  ASSERT_EQ(first.size(), kCount);

  // A thread that frees them all and ends: its cached magazines go to the
  // depot with it.
  std::thread([&] {
    for (const Block& b : made) {
      ASSERT_TRUE(intact(b));
      BlockPool::deallocate(b.p, b.size);
    }
  }).join();

  std::vector<Block> again;
  for (std::size_t i = 0; i < kCount; ++i) again.push_back(make(kSize, 0xa5));
  std::size_t reused = 0;
  for (const Block& b : again) reused += first.count(b.p);
  // All of them, but for what this thread had cached before (at most two
  // magazines), which it hands out first.
  if (BlockPool::kEnabled) {
    EXPECT_GE(reused, kCount - 2 * BlockPool::kBatch);
  }
  for (const Block& b : again) {
    EXPECT_TRUE(intact(b));
    BlockPool::deallocate(b.p, b.size);
  }
}

// Many threads allocating and freeing each other's blocks: every block keeps
// its contents while alive (run under TSan and ASan in CI with the pool
// off, and here with it on).
TEST(BlockPool, ManyThreadsExchangingBlocks) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::mutex mutex;
  std::vector<Block> shared;
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::size_t size = 8 + static_cast<std::size_t>((i * 13 + t * 7) % 120);
        Block mine = make(size, static_cast<unsigned char>(t * 31 + i));
        Block other{};
        {
          std::lock_guard lock(mutex);
          shared.push_back(mine);
          if (shared.size() > 64) {
            other = shared.front();
            shared.erase(shared.begin());
          }
        }
        if (other.p != nullptr) {
          if (!intact(other)) bad.fetch_add(1);
          BlockPool::deallocate(other.p, other.size);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  for (const Block& b : shared) {
    EXPECT_TRUE(intact(b));
    BlockPool::deallocate(b.p, b.size);
  }
}

struct Base : PooledObject {
  virtual ~Base() = default;
  std::uint64_t a = 1;
};
struct Derived final : Base {
  explicit Derived(std::uint64_t v) { std::fill(std::begin(tail), std::end(tail), v); }
  std::uint64_t tail[20];
};
struct alignas(64) OverAligned : PooledObject {
  unsigned char bytes[64];
};

// A derived object deleted through its base returns its own size's block.
TEST(BlockPool, PooledObjectsDeleteThroughTheirBase) {
  std::vector<Base*> objects;
  for (std::uint64_t i = 0; i < 3000; ++i) {
    objects.push_back(i % 2 ? static_cast<Base*>(new Derived(i)) : new Base());
  }
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (auto* d = dynamic_cast<Derived*>(objects[i])) {
      EXPECT_EQ(d->tail[19], i);
    }
    delete objects[i];
  }
  auto* o = new OverAligned();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(o) % 64, 0u);
  delete o;
}

}  // namespace
