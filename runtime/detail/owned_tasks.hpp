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
/// is referenced only by wakers). Sharded intrusive lists, one mutex each, so
/// spawns on different workers do not contend. Thread-safe.
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
    count_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  /// Unlinks `t` and drops the owner list's reference to it.
  void unbind(TaskHeader& t) noexcept {
    {
      Shard& s = shards_[t.owner_shard];
      std::lock_guard lock(s.mutex);
      if (t.owner_prev) {
        t.owner_prev->owner_next = t.owner_next;
      } else {
        s.head = t.owner_next;
      }
      if (t.owner_next) t.owner_next->owner_prev = t.owner_prev;
      t.owner_prev = t.owner_next = nullptr;
    }
    // seq_cst with close_and_cancel_all()'s store to closed_ and
    // wait_empty()'s loads: either that load sees this decrement, or this
    // sees closed_ and notifies. With acquire/release both could miss (the
    // store-buffering pattern) and shutdown would wait for a notify that
    // never comes.
    if (count_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        closed_.load(std::memory_order_seq_cst)) {
      count_.notify_all();
    }
    t.release();
  }

  /// Refuses new tasks and requests cancellation of every live one.
  void close_and_cancel_all() {
    closed_.store(true, std::memory_order_seq_cst);  // see unbind()
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

  /// Blocks until every task has finished (after close_and_cancel_all).
  void wait_empty() noexcept {
    for (auto n = count_.load(std::memory_order_seq_cst); n != 0;
         n = count_.load(std::memory_order_seq_cst)) {
      count_.wait(n, std::memory_order_acquire);
    }
  }

  std::size_t size() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  struct Shard {
    std::mutex mutex;
    TaskHeader* head = nullptr;
    bool closed = false;
  };
  std::vector<Shard> shards_;
  std::atomic<std::size_t> count_{0};
  std::atomic<bool> closed_{false};
};

}  // namespace troupe::detail
