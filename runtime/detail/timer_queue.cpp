#include <utility>

#include <troupe/runtime/detail/timer_queue.hpp>

namespace troupe::detail {

bool TimerQueue::arm(Entry& e, const Waker& w) {
  bool earlier = false;
  {
    std::lock_guard lock(mutex_);
    if (e.fired) return true;
    if (!e.waker.will_wake(w)) e.waker = w;
    if (e.index == kNone) {
      heap_.push_back(&e);
      e.index = heap_.size() - 1;
      sift_up(e.index);
      earlier = e.index == 0;
    }
  }
  if (earlier && on_earlier_) on_earlier_(e.deadline);
  return false;
}

void TimerQueue::disarm(Entry& e) noexcept {
  Waker dropped;
  {
    std::lock_guard lock(mutex_);
    if (e.index != kNone) remove_at(e.index);
    dropped.swap(e.waker);
  }
}

std::optional<Instant> TimerQueue::fire_due(Instant now) {
  std::vector<Waker> due;
  std::optional<Instant> next;
  {
    std::lock_guard lock(mutex_);
    while (!heap_.empty() && heap_[0]->deadline <= now) {
      Entry* e = heap_[0];
      remove_at(0);
      e->fired = true;
      due.push_back(std::move(e->waker));
    }
    if (!heap_.empty()) next = heap_[0]->deadline;
  }
  for (Waker& w : due) w.wake();
  return next;
}

std::optional<Instant> TimerQueue::next_deadline() const {
  std::lock_guard lock(mutex_);
  if (heap_.empty()) return std::nullopt;
  return heap_[0]->deadline;
}

std::size_t TimerQueue::size() const {
  std::lock_guard lock(mutex_);
  return heap_.size();
}

void TimerQueue::sift_up(std::size_t i) noexcept {
  Entry* e = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!(e->deadline < heap_[parent]->deadline)) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void TimerQueue::sift_down(std::size_t i) noexcept {
  Entry* e = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->deadline < heap_[child]->deadline) ++child;
    if (!(heap_[child]->deadline < e->deadline)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

void TimerQueue::remove_at(std::size_t i) noexcept {
  Entry* removed = heap_[i];
  Entry* last = heap_.back();
  heap_.pop_back();
  removed->index = kNone;
  if (last == removed) return;
  place(i, last);
  sift_down(i);
  sift_up(last->index);
}

}  // namespace troupe::detail
