#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>

#include <troupe/runtime/detail/task_header.hpp>

namespace troupe::detail {

/// The executor's global FIFO: tasks spawned or woken from threads that are
/// not its workers, and the overflow of full local queues. A mutex around an
/// intrusive list (through TaskHeader::queue_next): it is off the hot path,
/// and `len_` lets workers skip the lock when it is empty. Thread-safe.
class InjectQueue {
 public:
  void push(TaskHeader* t) noexcept { push_batch(t, t, 1); }

  /// Pushes the chain first..last (linked through queue_next) of `n` tasks.
  void push_batch(TaskHeader* first, TaskHeader* last, std::size_t n) noexcept {
    last->queue_next = nullptr;
    std::lock_guard lock(mutex_);
    if (tail_) {
      tail_->queue_next = first;
    } else {
      head_ = first;
    }
    tail_ = last;
    len_.store(len_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }

  TaskHeader* pop() noexcept {
    if (empty()) return nullptr;
    std::lock_guard lock(mutex_);
    TaskHeader* t = head_;
    if (!t) return nullptr;
    head_ = t->queue_next;
    if (!head_) tail_ = nullptr;
    t->queue_next = nullptr;
    len_.store(len_.load(std::memory_order_relaxed) - 1, std::memory_order_release);
    return t;
  }

  bool empty() const noexcept { return len_.load(std::memory_order_acquire) == 0; }
  std::size_t size() const noexcept { return len_.load(std::memory_order_acquire); }

 private:
  std::mutex mutex_;
  TaskHeader* head_ = nullptr;
  TaskHeader* tail_ = nullptr;
  std::atomic<std::size_t> len_{0};
};

}  // namespace troupe::detail
