#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <troupe/runtime/detail/task_header.hpp>

namespace troupe::detail {

/// Every live task of one scheduler, so that shutdown can cancel the ones
/// that are suspended forever (nothing else knows about them: a parked task
/// is referenced only by wakers). Sharded intrusive lists, one mutex and one
/// count each, every shard on its own cache line, so spawns and ends on
/// different workers share no written word. Thread-safe.
class OwnedTasks {
 public:
  explicit OwnedTasks(std::size_t shards) : shards_(shards) {}

  /// Links `t` into a shard; false once closed.
  bool bind(TaskHeader& t, std::size_t shard) noexcept {
    Shard& s = shards_[shard % shards_.size()];
    std::lock_guard lock(s.mutex);
    if (s.closed) return false;
    t.owner_shard = static_cast<std::uint32_t>(shard % shards_.size());
    t.owner_prev = nullptr;
    t.owner_next = s.head;
    if (s.head) s.head->owner_prev = &t;
    s.head = &t;
    s.count.store(s.count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return true;
  }

  /// Unlinks `t` and drops the owner list's reference to it.
  void unbind(TaskHeader& t) noexcept {
    Shard& s = shards_[t.owner_shard];
    bool last_after_close = false;
    {
      std::lock_guard lock(s.mutex);
      if (t.owner_prev) {
        t.owner_prev->owner_next = t.owner_next;
      } else {
        s.head = t.owner_next;
      }
      if (t.owner_next) t.owner_next->owner_prev = t.owner_prev;
      t.owner_prev = t.owner_next = nullptr;
      const std::size_t left = s.count.load(std::memory_order_relaxed) - 1;
      s.count.store(left, std::memory_order_release);
      // `closed` and the count change under the same lock, so either
      // wait_empty() reads 0 or this call sees `closed` and notifies.
      last_after_close = s.closed && left == 0;
    }
    if (last_after_close) s.count.notify_all();
    t.release();
  }

  /// Refuses new tasks and requests cancellation of every live one.
  void close_and_cancel_all() {
    std::vector<TaskHeader*> live;
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      s.closed = true;
      for (TaskHeader* t = s.head; t; t = t->owner_next) {
        t->retain();
        live.push_back(t);
      }
    }
    for (TaskHeader* t : live) {
      t->cancel();
      t->release();
    }
  }

  /// Blocks until every task has finished (after close_and_cancel_all:
  /// a closed shard only shrinks).
  void wait_empty() noexcept {
    for (Shard& s : shards_) {
      for (auto n = s.count.load(std::memory_order_acquire); n != 0;
           n = s.count.load(std::memory_order_acquire)) {
        s.count.wait(n, std::memory_order_acquire);
      }
    }
  }

  /// Live tasks right now (a snapshot).
  std::size_t size() const noexcept {
    std::size_t n = 0;
    for (const Shard& s : shards_) n += s.count.load(std::memory_order_acquire);
    return n;
  }

 private:
  struct alignas(64) Shard {
    std::mutex mutex;
    TaskHeader* head = nullptr;
    bool closed = false;
    std::atomic<std::size_t> count{0};  // written under `mutex`; atomic for readers and wait()
  };
  std::vector<Shard> shards_;
};

}  // namespace troupe::detail
