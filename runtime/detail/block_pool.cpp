#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

#include <troupe/runtime/detail/block_pool.hpp>

namespace troupe::detail {

#if TROUPE_BLOCK_POOL

namespace {

constexpr std::size_t kSlabBytes = 16 * 1024;

}  // namespace

// Full (or, from exiting threads, partial) magazines of one class, a stack
// linked through their first blocks (so handing one over never allocates).
// `available` lets a thread see an empty depot without taking the lock: a
// thread that only allocates (a producer whose messages are freed
// elsewhere) finds it empty on every refill until a consumer hands blocks
// back.
struct alignas(64) BlockPool::Depot {
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
BlockPool::Depot* BlockPool::depots() {
  static Depot* const d = new Depot[kClasses];
  return d;
}

namespace {

// New blocks: cut from slabs, which stay allocated for good (their blocks
// circulate through the magazines).
void* carve(char*& bump, char*& end, std::size_t size) {
  if (static_cast<std::size_t>(end - bump) < size) {
    bump = static_cast<char*>(::operator new(kSlabBytes));
    end = bump + kSlabBytes;
  }
  return std::exchange(bump, bump + size);
}

}  // namespace

void* BlockPool::ThreadCache::allocate(std::size_t c) {
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

void BlockPool::ThreadCache::deallocate(void* p, std::size_t c) {
  Magazine& a = active[c];
  if (a.count == kBatch) {
    // Keep one full magazine in reserve, so that a thread alternating
    // around the boundary does not visit the depot every time.
    if (spare[c].count != 0) depots()[c].put(spare[c]);
    spare[c] = std::exchange(a, Magazine{});
  }
  a.push(p);
}

constinit thread_local BlockPool::ThreadCache* BlockPool::tls_cache = nullptr;

namespace {
thread_local bool tls_cache_gone = false;
}  // namespace

BlockPool::ThreadCache::~ThreadCache() {
  for (std::size_t c = 0; c < kClasses; ++c) {
    depots()[c].put(active[c]);
    depots()[c].put(spare[c]);
  }
  tls_cache = nullptr;
  tls_cache_gone = true;
}

// The thread's cache, made on its first use; null once the thread is
// ending (its blocks then go to the depot one by one).
BlockPool::ThreadCache* BlockPool::cache() {
  if (tls_cache != nullptr) return tls_cache;
  if (tls_cache_gone) return nullptr;
  static thread_local ThreadCache owned;
  tls_cache = &owned;
  return tls_cache;
}

void* BlockPool::allocate_slow(std::size_t size) {
  if (size > kMaxSize) return ::operator new(size);
  const std::size_t c = class_of(size);
  if (ThreadCache* t = cache()) return t->allocate(c);
  return ::operator new(block_size(c));  // a block of the class, so it can join the pool
}

void BlockPool::deallocate_slow(void* p, std::size_t size) noexcept {
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

#endif  // sanitizer builds: plain new and delete, inline in the header

}  // namespace troupe::detail
