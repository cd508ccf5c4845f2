#pragma once

#include <troupe/runtime/detail/thread_parker.hpp>
#include <troupe/runtime/waker.hpp>

namespace troupe::detail {

/// The waker source of a plain thread blocked in send_blocking/recv_blocking:
/// the same interface as Context (`will_wake`, `waker`), backed by the
/// thread's ThreadParker, so the blocking calls reuse the futures' poll logic
/// (and their no-lost-wake protocol) unchanged.
///
/// Borrows the ParkerRef, which must outlive it; used by its thread only.
class ParkerContext {
 public:
  explicit ParkerContext(const ParkerRef& parker) noexcept : parker_(parker.operator->()) {}
  bool will_wake(const Waker& w) const noexcept { return w.will_wake(parker_); }
  Waker waker() const noexcept { return parker_->waker(); }

 private:
  ThreadParker* parker_;
};

/// The blocking calls' loop: refuses a runtime's worker thread (`what` names
/// the call in the error), then calls `poll(cx)` with this thread's
/// ParkerContext, parking between polls, until it returns true.
template <class Poll>
void park_until(const char* what, Poll&& poll) {
  require_plain_thread(what);
  ParkerRef parker;
  const ParkerContext cx(parker);
  while (!poll(cx)) parker->park();
}

}  // namespace troupe::detail
