#pragma once

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/wake_target.hpp>
#include <troupe/runtime/waker.hpp>

namespace troupe::detail {

/// Lets a plain thread (not a worker) block until a Waker fires: the bridge
/// for `JoinHandle::wait`, `block_on` and the channels' blocking calls.
///
/// Heap-allocated and reference counted, because a Waker handed out to a
/// channel or a task may outlive the wait that created it. `park()` must only
/// be called by the owning thread; `wake()` from anywhere. A wake that comes
/// before `park()` is remembered, so none is lost.
class ThreadParker final : public WakeTarget {
 public:
  static ThreadParker* make() { return new ThreadParker; }

  /// A Waker that unparks this thread (takes a reference).
  Waker waker() noexcept { return Waker::retain(this); }

  /// Blocks until woken (returns at once if a wake is pending), then clears it.
  void park() noexcept {
    while (flag_.exchange(0, std::memory_order_acquire) == 0) {
      flag_.wait(0, std::memory_order_acquire);
    }
  }

  void wake() noexcept override {
    if (flag_.exchange(1, std::memory_order_release) == 0) flag_.notify_one();
  }
  void retain() noexcept override { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept override {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 private:
  ThreadParker() = default;
  ~ThreadParker() = default;
  std::atomic<std::uint32_t> flag_{0};
  std::atomic<std::uint32_t> refs_{1};
};

/// Owning handle for a ThreadParker (released on scope exit).
class ParkerRef {
 public:
  ParkerRef() : p_(ThreadParker::make()) {}
  ParkerRef(const ParkerRef&) = delete;
  ParkerRef& operator=(const ParkerRef&) = delete;
  ~ParkerRef() { p_->release(); }
  ThreadParker* operator->() const noexcept { return p_; }

 private:
  ThreadParker* p_;
};

/// Throws std::logic_error if the calling thread is a runtime's worker: a
/// blocking call there (a channel's, JoinHandle::wait) would stall every
/// task queued behind it.
inline void require_plain_thread(const char* what) {
  if (current_scheduler() != nullptr) {
    throw std::logic_error(std::string("troupe: ") + what +
                           " called on a runtime thread; co_await the async form instead");
  }
}

}  // namespace troupe::detail
