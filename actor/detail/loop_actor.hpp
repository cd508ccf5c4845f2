#pragma once

#include <functional>
#include <utility>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/mailbox.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::detail {

/// The actor behind `spawn_loop`: its on_start runs the user's loop over
/// the mailbox stream for as long as the actor lives (a coroutine handler
/// holds the mailbox, so no message is dispatched behind the loop's back),
/// then stops the actor when the loop returns.
template <class M>
class LoopActor : public Actor<LoopActor<M>> {
 public:
  using Loop = std::function<Task<void>(Mailbox<M>&)>;
  explicit LoopActor(Loop fn) : fn_(std::move(fn)), mailbox_(constructing_cell()) {}

  Task<void> on_start() {
    co_await fn_(mailbox_);
    this->stop();
  }
  // Gives refs the message type; never called while the loop runs, and the
  // actor stops when the loop returns.
  void handle(M&&) {}

 private:
  Loop fn_;
  Mailbox<M> mailbox_;
};

}  // namespace troupe::detail
