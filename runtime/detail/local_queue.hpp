#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include <troupe/runtime/detail/task_header.hpp>

namespace troupe::detail {

/// A worker's bounded run queue: the owner pushes at the tail and pops at
/// the head; other workers steal half of it from the head.
///
/// Only the owning worker may call push/pop; `steal_into` is called by a
/// thief with its own queue as the destination. Head is shared (changed by
/// CAS from both sides), tail is written by the owner only. Slots are
/// atomics because a thief may read a slot the owner is rewriting; such a
/// thief's CAS on head then fails and it discards what it read.
class LocalQueue {
 public:
  static constexpr std::uint32_t kCapacity = 256;

  /// Pushes `t`; false when full (the caller moves work to the inject queue).
  bool push(TaskHeader* t) noexcept {
    const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    const std::uint32_t head = head_.load(std::memory_order_acquire);
    if (tail - head >= kCapacity) return false;
    slots_[tail & kMask].store(t, std::memory_order_relaxed);
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  /// Claims up to `max` tasks from the head for moving elsewhere (overflow).
  std::uint32_t pop_batch(TaskHeader** out, std::uint32_t max) noexcept {
    std::uint32_t head = head_.load(std::memory_order_acquire);
    for (;;) {
      const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
      std::uint32_t n = tail - head;
      if (n > max) n = max;
      if (n == 0) return 0;
      for (std::uint32_t i = 0; i < n; ++i) {
        out[i] = slots_[(head + i) & kMask].load(std::memory_order_relaxed);
      }
      if (head_.compare_exchange_weak(head, head + n, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        return n;
    }
  }

  TaskHeader* pop() noexcept {
    TaskHeader* t = nullptr;
    return pop_batch(&t, 1) ? t : nullptr;
  }

  /// Moves about half of this queue into `dst` (which must be empty, and
  /// owned by the caller). Returns one of the stolen tasks to run at once.
  TaskHeader* steal_into(LocalQueue& dst) noexcept {
    std::uint32_t head = head_.load(std::memory_order_acquire);
    std::array<TaskHeader*, kCapacity / 2> batch;
    std::uint32_t n;
    for (;;) {
      const std::uint32_t tail = tail_.load(std::memory_order_acquire);
      n = tail - head;
      if (n == 0 || n > kCapacity) return nullptr;  // empty, or a torn read
      n -= n / 2;
      if (n > batch.size()) n = batch.size();
      for (std::uint32_t i = 0; i < n; ++i) {
        batch[i] = slots_[(head + i) & kMask].load(std::memory_order_relaxed);
      }
      if (head_.compare_exchange_weak(head, head + n, std::memory_order_acq_rel,
                                      std::memory_order_acquire))
        break;
    }
    for (std::uint32_t i = 1; i < n; ++i) dst.push(batch[i]);
    return batch[0];
  }

  /// Approximate length (exact for the owner).
  std::uint32_t size() const noexcept {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }
  /// How many tasks have ever left the queue (popped or stolen), modulo
  /// 2^32: a thief that reads the same value twice, with the queue not
  /// empty, knows that its front task waited all that time.
  std::uint32_t taken() const noexcept { return head_.load(std::memory_order_acquire); }
  bool empty() const noexcept { return size() == 0; }

 private:
  static constexpr std::uint32_t kMask = kCapacity - 1;
  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  std::array<std::atomic<TaskHeader*>, kCapacity> slots_{};
};

}  // namespace troupe::detail
