#include <utility>

#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/timer_registration.hpp>

namespace troupe::detail {

TimerRegistration::TimerRegistration(TimerRegistration&& other) noexcept { take_from(other); }

TimerRegistration& TimerRegistration::operator=(TimerRegistration&& other) noexcept {
  if (this != &other) {
    disarm();
    take_from(other);
  }
  return *this;
}

void TimerRegistration::take_from(TimerRegistration& other) noexcept {
  entry_.deadline = other.entry_.deadline;
  elapsed_ = other.elapsed_;
  queue_ = other.queue_;
  if (!other.armed_) {
    entry_.fired = other.entry_.fired;
    return;
  }
  // The heap points at other.entry_: swap it for ours. The task that armed
  // it still expects a wake, so ours is armed with the same waker.
  Waker w = std::move(other.waker_);
  other.disarm();
  entry_.fired = other.entry_.fired;  // stable now: other is out of the heap
  if (entry_.fired) return;           // the wake already went out; the next poll sees it
  waker_ = std::move(w);
  armed_ = true;
  queue_->arm(entry_, waker_);
}

bool TimerRegistration::poll(Context& cx) noexcept {
  if (elapsed_) return true;
  Scheduler& s = cx.scheduler();
  if (entry_.deadline <= s.now()) {
    disarm();
    elapsed_ = true;
    return true;
  }
  TimerQueue& q = s.timers();
  if (queue_ != &q) {
    disarm();
    queue_ = &q;
  }
  if (!cx.will_wake(waker_)) waker_ = cx.waker();
  // arm() both registers the waker and re-checks, under the queue's lock,
  // whether the entry fired: a wake cannot fall between the two.
  if (q.arm(entry_, waker_)) {
    armed_ = false;  // fire_due took the entry out of the heap
    waker_.reset();
    elapsed_ = true;
    return true;
  }
  armed_ = true;
  return false;
}

void TimerRegistration::disarm() noexcept {
  if (!armed_) return;
  queue_->disarm(entry_);
  armed_ = false;
  waker_.reset();
}

void TimerRegistration::set_deadline(Instant deadline) noexcept {
  disarm();
  entry_.deadline = deadline;
  entry_.fired = false;
  elapsed_ = false;
}

}  // namespace troupe::detail
