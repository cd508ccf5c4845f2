// An actor's system-message queue (see SystemQueue). The ordering and
// wake-up rules are MpscQueue's; this file adds the loop's list of taken
// messages and the close at the actor's end.

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/system_message.hpp>

namespace troupe::detail {

bool SystemQueue::push(SystemMessage* m) noexcept {
  // Unbounded: reserve() only checks for closed, and push() checks again
  // (the close may come in between).
  if (queue_.reserve() == ChannelOutcome::kDone) {
    switch (queue_.push(m)) {
      case Queue::Push::kPushedWake:
        return true;
      case Queue::Push::kPushed:
        return false;
      case Queue::Push::kClosed:
        break;
    }
  }
  delete m;  // the actor is done: nobody will read it
  return false;
}

bool SystemQueue::stop_pending() noexcept {
  MpscNode** tail = &taken_;
  while (*tail != nullptr) tail = &(*tail)->next;
  ChannelOutcome outcome;
  while (MpscNode* n = queue_.poll(outcome, [] { return true; })) {
    n->next = nullptr;
    *tail = n;
    tail = &n->next;
  }
  for (MpscNode* n = taken_; n != nullptr; n = n->next) {
    if (as_message(n)->kind == SystemMessage::Kind::kStop) return true;
  }
  return false;
}

void SystemQueue::close_and_discard() noexcept {
  while (taken_ != nullptr) delete as_message(std::exchange(taken_, taken_->next));
  queue_.discard_all([](MpscNode* n) { delete as_message(n); });
}

}  // namespace troupe::detail
