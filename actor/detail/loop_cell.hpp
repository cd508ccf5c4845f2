#pragma once

#include <functional>
#include <typeinfo>
#include <utility>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/loop_envelope.hpp>
#include <troupe/actor/mailbox.hpp>
#include <troupe/actor/spawn_options.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::detail {

/// An actor written as a loop over its Mailbox<M> (ActorSystem::spawn_loop):
/// a cell of its own kind, whose life is the loop. Starting it runs the
/// loop (the cell drives it as it drives a coroutine handler, so no message
/// is ever dispatched behind its back); the actor stops when the loop
/// returns; a restart (its supervisor's decision after the loop threw)
/// runs the loop again on the same mailbox. It gets only LoopEnvelope<M>s:
/// Address<M> makes nothing else, and takes no asks.
template <class M>
class LoopCell final : public ActorCellBase {
 public:
  using Loop = std::function<Task<void>(troupe::Mailbox<M>&)>;

  LoopCell(SystemCore& system, ActorCellBase* parent, const MailboxOptions& mailbox, Loop loop)
      : ActorCellBase(system, parent, mailbox), loop_(std::move(loop)) {}

 private:
  ~LoopCell() = default;  // only via deallocate()
  void deallocate() noexcept override { delete this; }

  Task<void> start_instance() override { return run(loop_); }
  // The loop is a copy: release_args may drop the cell's while it runs.
  Task<void> run(Loop loop) {
    troupe::Mailbox<M> mailbox(this);
    co_await loop(mailbox);
    request_stop(ExitReason::normal());
  }
  void stop_instance(const ExitReason&) noexcept override {}
  void release_args() noexcept override { loop_ = nullptr; }
  Task<void> deliver(EnvelopeBase& e) override {
    // Not reached: while the actor runs, its loop holds the mailbox. Were
    // it reached, the message would be reported, not lost.
    system().dead_letter(DeadLetter{id(), e.type().name(), DeadLetterReason::kStopped});
    return {};
  }
  bool deliver_down(const Down&) override { return false; }
  bool deliver_exit(const Exit&) override { return false; }
  void deliver_receive_timeout() override {}
  SupervisorStrategy supervisor_strategy() const override {
    return SupervisorStrategy::one_for_one();
  }
  const std::type_info& actor_type() const noexcept override { return typeid(LoopCell); }

  Loop loop_;
};

/// Makes and starts a loop actor (a child of `parent` if given).
template <class M>
CellPtr spawn_loop_cell(SystemCore& system, ActorCellBase* parent, const SpawnOptions& options,
                        typename LoopCell<M>::Loop loop) {
  auto* cell = new LoopCell<M>(system, parent, options.mailbox, std::move(loop));
  if (parent) parent->adopt_child(*cell);
  ActorCellBase::start(*cell);
  return CellPtr::adopt(cell);
}

}  // namespace troupe::detail
