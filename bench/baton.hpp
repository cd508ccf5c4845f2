#pragma once

#include <atomic>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/atomic_waker.hpp>

namespace troupe::bench {

/// A one-slot signal from one task to another: the smallest leaf Future,
/// so that a wake benchmark measures the runtime and nothing else.
class Baton {
 public:
  void post() noexcept {
    flag_.store(true, std::memory_order_release);
    waker_.wake();
  }

  struct Wait {
    Baton& baton;
    bool poll(Context& cx) noexcept {
      if (baton.flag_.exchange(false, std::memory_order_acquire)) return true;
      baton.waker_.register_waker(cx.waker());
      return baton.flag_.exchange(false, std::memory_order_acquire);
    }
    void await_resume() noexcept {}
  };
  Wait wait() noexcept { return {*this}; }

 private:
  std::atomic<bool> flag_{false};
  detail::AtomicWaker waker_;
};

}  // namespace troupe::bench
