#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

// Sanitizer builds bypass the pool (see BlockPool), unless the build sets
// TROUPE_BLOCK_POOL itself (the pool's own test does, to check the pool).
#ifndef TROUPE_BLOCK_POOL
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TROUPE_BLOCK_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TROUPE_BLOCK_POOL 0
#endif
#endif
#endif
#ifndef TROUPE_BLOCK_POOL
#define TROUPE_BLOCK_POOL 1
#endif

namespace troupe::detail {

/// Memory for small objects that are made on one thread and freed on
/// another at high rates: envelopes (a producer makes one per message, the
/// actor's worker frees it), system messages, and the cells of tasks and
/// actors (a parent spawns, the child's worker ends it; spawn_tree: malloc
/// and free were 1,300 of the 5,600 instructions per actor, and pooled
/// cells took it from 3.6 to 4.2-4.3 M actors/s).
///
/// glibc's malloc serves such traffic badly: beyond the few blocks per size
/// that the freeing thread's cache keeps, a block freed on a thread other
/// than the one that allocated it goes back to the allocating thread's arena
/// under that arena's lock, and the allocating thread's cache never gets it
/// back, so nearly every allocation takes the slow path. The pool keeps, per
/// thread and per size class (32 to kMaxSize bytes in 16-byte steps), two
/// lists of free blocks (magazines of kBatch blocks); whole magazines move between
/// threads through a global depot under one lock per class, so a block freed
/// anywhere serves the next allocation anywhere, and the lock is taken once
/// per kBatch blocks. New blocks are cut from 16 KiB slabs.
///
/// Memory is kept for reuse, never returned to the system: the pool's size is
/// the peak number of blocks alive at once (like a free list; glibc may give
/// some back after a burst). Larger sizes go to ::operator new.
///
/// Builds with AddressSanitizer or ThreadSanitizer use ::operator new for
/// everything (TROUPE_BLOCK_POOL is 0), so that use-after-free and races on
/// pooled objects stay visible to them.
///
/// Thread-safe; a block may be freed on any thread, with its size.
class BlockPool {
 public:
  static constexpr std::size_t kMaxSize = 512;
  /// Blocks are pooled (false in sanitizer builds).
  static constexpr bool kEnabled = TROUPE_BLOCK_POOL != 0;
  /// Blocks a thread keeps before it hands a magazine to the depot: it
  /// holds at most 2 * kBatch free blocks of a class.
  static constexpr std::size_t kBatch = 64;

  // Inline: the common case (the thread's magazine has a block, or room for
  // one) is a few instructions at the call site, where the size is a
  // constant; the rest is out of line. Out of line as a whole, the function
  // saved and restored six registers for its rare paths on every call
  // (fork_join: 37 instructions per allocation, 37 per free).
  static void* allocate(std::size_t size) {
#if TROUPE_BLOCK_POOL
    if (size <= kMaxSize) [[likely]] {
      if (ThreadCache* t = tls_cache) [[likely]] {
        Magazine& a = t->active[class_of(size)];
        if (a.count != 0) [[likely]]
          return a.pop();
      }
    }
    return allocate_slow(size);
#else
    return ::operator new(size);
#endif
  }

  static void deallocate(void* p, std::size_t size) noexcept {
#if TROUPE_BLOCK_POOL
    if (size <= kMaxSize) [[likely]] {
      if (ThreadCache* t = tls_cache) [[likely]] {
        Magazine& a = t->active[class_of(size)];
        if (a.count != kBatch) [[likely]] {
          a.push(p);
          return;
        }
      }
    }
    deallocate_slow(p, size);
#else
    (void)size;
    ::operator delete(p);
#endif
  }

 private:
  // Size classes: blocks of 32, 48, ..., kMaxSize bytes. 32 at least, so
  // that a free block can hold a magazine's links (FreeBlock).
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kSmallest = 32;
  static constexpr std::size_t kClasses = (kMaxSize - kSmallest) / kGranule + 1;

  static constexpr std::size_t class_of(std::size_t size) noexcept {
    return size <= kSmallest ? 0 : (size - kSmallest + kGranule - 1) / kGranule;
  }
  static constexpr std::size_t block_size(std::size_t c) noexcept {
    return kSmallest + c * kGranule;
  }

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

  // A thread's blocks: per class, the magazine it allocates from and frees
  // into, a full one in reserve, and the slab it cuts new blocks from. Its
  // destructor hands its blocks to the depot (block_pool.cpp).
  struct ThreadCache {
    Magazine active[kClasses];
    Magazine spare[kClasses];
    char* bump[kClasses] = {};
    char* end[kClasses] = {};

    ThreadCache() = default;
    ThreadCache(const ThreadCache&) = delete;
    ThreadCache& operator=(const ThreadCache&) = delete;
    ~ThreadCache();

    void* allocate(std::size_t c);
    void deallocate(void* p, std::size_t c);
  };

  static void* allocate_slow(std::size_t size);
  static void deallocate_slow(void* p, std::size_t size) noexcept;
  static ThreadCache* cache();
  struct Depot;
  static Depot* depots();

#if TROUPE_BLOCK_POOL
  // The calling thread's cache, reached without a guard; null until its
  // first slow path makes it (and again once the thread is ending).
  static constinit thread_local ThreadCache* tls_cache;
#endif
};

/// Base class that gives a class (and every class derived from it, when
/// deleted through a virtual destructor) BlockPool memory. Over-aligned
/// types bypass the pool.
struct PooledObject {
  static void* operator new(std::size_t n) { return BlockPool::allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { BlockPool::deallocate(p, n); }
  static void* operator new(std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
  static void operator delete(void* p, std::size_t, std::align_val_t a) noexcept {
    ::operator delete(p, a);
  }
};

}  // namespace troupe::detail
