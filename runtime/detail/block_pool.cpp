#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

#include <troupe/runtime/detail/block_pool.hpp>

namespace troupe::detail {

#if TROUPE_BLOCK_POOL

namespace {

// Size classes: blocks of 32, 48, ..., kMaxSize bytes. 32 at least, so that
// a free block can hold a magazine's links (FreeBlock).
constexpr std::size_t kGranule = 16;
constexpr std::size_t kSmallest = 32;
constexpr std::size_t kClasses = (BlockPool::kMaxSize - kSmallest) / kGranule + 1;
constexpr std::uint32_t kBatch = BlockPool::kBatch;  // blocks per magazine
constexpr std::size_t kSlabBytes = 16 * 1024;

std::size_t class_of(std::size_t size) noexcept {
  return size <= kSmallest ? 0 : (size - kSmallest + kGranule - 1) / kGranule;
}
std::size_t block_size(std::size_t c) noexcept { return kSmallest + c * kGranule; }

// A free block. The first block of a magazine in the depot also links the
// depot's next magazine and records its own magazine's length.
struct FreeBlock {
  FreeBlock* next;
  FreeBlock* next_magazine;
  std::uint32_t count;
};
static_assert(sizeof(FreeBlock) <= kSmallest);

// A list of free blocks of one class.
struct Magazine {
  FreeBlock* head = nullptr;
  std::uint32_t count = 0;

  void push(void* p) noexcept {
    auto* b = static_cast<FreeBlock*>(p);
    b->next = head;
    head = b;
    ++count;
  }
  void* pop() noexcept {
    FreeBlock* b = head;
    head = b->next;
    --count;
    return b;
  }
};

// Full (or, from exiting threads, partial) magazines of one class, a stack
// linked through their first blocks (so handing one over never allocates).
// `available` lets a thread see an empty depot without taking the lock: a
// thread that only allocates (a producer whose messages are freed
// elsewhere) finds it empty on every refill until a consumer hands blocks
// back.
struct alignas(64) Depot {
  std::mutex mutex;
  FreeBlock* top = nullptr;
  std::atomic<std::size_t> available{0};

  void put(Magazine m) noexcept {
    if (m.count == 0) return;
    m.head->count = m.count;
    std::lock_guard lock(mutex);
    m.head->next_magazine = top;
    top = m.head;
    available.store(available.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  Magazine take() noexcept {
    if (available.load(std::memory_order_relaxed) == 0) return {};
    std::lock_guard lock(mutex);
    if (top == nullptr) return {};
    Magazine m{top, top->count};
    top = top->next_magazine;
    available.store(available.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    return m;
  }
};

// Never destroyed: threads may still free blocks during static destruction.
Depot* depots() {
  static Depot* const d = new Depot[kClasses];
  return d;
}

// New blocks: cut from slabs, which stay allocated for good (their blocks
// circulate through the magazines).
void* carve(char*& bump, char*& end, std::size_t size) {
  if (static_cast<std::size_t>(end - bump) < size) {
    bump = static_cast<char*>(::operator new(kSlabBytes));
    end = bump + kSlabBytes;
  }
  return std::exchange(bump, bump + size);
}

struct ThreadCache {
  Magazine active[kClasses];
  Magazine spare[kClasses];
  char* bump[kClasses] = {};
  char* end[kClasses] = {};

  ThreadCache() = default;
  ThreadCache(const ThreadCache&) = delete;
  ThreadCache& operator=(const ThreadCache&) = delete;
  ~ThreadCache();

  void* allocate(std::size_t c) {
    Magazine& a = active[c];
    if (a.count == 0) {
      if (spare[c].count != 0) {
        std::swap(a, spare[c]);
      } else {
        a = depots()[c].take();
        if (a.count == 0) return carve(bump[c], end[c], block_size(c));
      }
    }
    return a.pop();
  }

  void deallocate(void* p, std::size_t c) {
    Magazine& a = active[c];
    if (a.count == kBatch) {
      // Keep one full magazine in reserve, so that a thread alternating
      // around the boundary does not visit the depot every time.
      if (spare[c].count != 0) depots()[c].put(spare[c]);
      spare[c] = std::exchange(a, Magazine{});
    }
    a.push(p);
  }
};

// The cache is reached through a plain pointer (no guard on the fast path);
// the owning thread_local is made on first use, and its destructor hands
// the blocks to the depot when the thread ends.
thread_local ThreadCache* tls_cache = nullptr;
thread_local bool tls_cache_gone = false;

ThreadCache::~ThreadCache() {
  for (std::size_t c = 0; c < kClasses; ++c) {
    depots()[c].put(active[c]);
    depots()[c].put(spare[c]);
  }
  tls_cache = nullptr;
  tls_cache_gone = true;
}

ThreadCache* cache() {
  if (tls_cache != nullptr) return tls_cache;
  if (tls_cache_gone) return nullptr;  // the thread is ending
  static thread_local ThreadCache owned;
  tls_cache = &owned;
  return tls_cache;
}

}  // namespace

void* BlockPool::allocate(std::size_t size) {
  if (size > kMaxSize) return ::operator new(size);
  const std::size_t c = class_of(size);
  if (ThreadCache* t = cache()) return t->allocate(c);
  return ::operator new(block_size(c));  // a block of the class, so it can join the pool
}

void BlockPool::deallocate(void* p, std::size_t size) noexcept {
  if (size > kMaxSize) {
    ::operator delete(p);
    return;
  }
  const std::size_t c = class_of(size);
  if (ThreadCache* t = cache()) {
    t->deallocate(p, c);
    return;
  }
  Magazine one;
  one.push(p);
  depots()[c].put(one);
}

#else  // sanitizer builds: plain new and delete

void* BlockPool::allocate(std::size_t size) { return ::operator new(size); }
void BlockPool::deallocate(void* p, std::size_t) noexcept { ::operator delete(p); }

#endif

}  // namespace troupe::detail
