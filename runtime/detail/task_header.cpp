#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/detail/report.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/task_header.hpp>

namespace troupe::detail {

namespace {
thread_local Scheduler* tls_scheduler = nullptr;
}

Scheduler* current_scheduler() noexcept { return tls_scheduler; }
Scheduler* set_current_scheduler(Scheduler* s) noexcept {
  Scheduler* prev = tls_scheduler;
  tls_scheduler = s;
  return prev;
}

}  // namespace troupe::detail

namespace troupe {

Instant now() noexcept {
  if (const detail::Scheduler* s = detail::current_scheduler()) return s->now();
  return Clock::now();
}

}  // namespace troupe

namespace troupe::detail {

void TaskHeader::wake() noexcept {
  if (state.wake() == TaskState::WakeAction::kSchedule) {
    scheduler->schedule(*this, ScheduleHint::kWake);
  }
}

void TaskHeader::cancel() noexcept {
  if (state.cancel() == TaskState::CancelAction::kSchedule) {
    scheduler->schedule(*this, ScheduleHint::kYield);
  }
}

void TaskHeader::end_hold() noexcept {
  if (state.end_hold()) scheduler->schedule(*this, ScheduleHint::kYield);
}

void TaskHeader::run() noexcept {
  switch (state.start_run()) {
    case TaskState::RunAction::kDrop:
      release();  // already finished: only the queue's reference was left
      return;
    case TaskState::RunAction::kCancel:
      finish(/*cancelled=*/true);
      return;
    case TaskState::RunAction::kPoll:
      if (scheduler->closing()) [[unlikely]] {
        finish(/*cancelled=*/true);
        return;
      }
      break;
  }
  if (poll()) {
    finish(/*cancelled=*/false);
    return;
  }
  switch (state.end_run()) {
    case TaskState::EndAction::kIdle:
      release();
      return;
    case TaskState::EndAction::kReschedule:
      scheduler->schedule(*this, ScheduleHint::kYield);
      return;
    case TaskState::EndAction::kCancel:
      finish(/*cancelled=*/true);
      return;
  }
}

void TaskHeader::finish(bool cancelled) noexcept {
  // The frame goes first: its destructors may still wake or spawn things,
  // and the JoinHandle must find the result in place once COMPLETE is set.
  if (cancelled) {
    destroy_frame();
  } else {
    take_result();
  }
  // Leave the owner list before COMPLETE is published, so that whoever sees
  // the task finished (a joiner) also sees it gone from live_tasks(). The
  // run queue's reference keeps the cell alive until the end.
  if (owner_shard != kUnowned) scheduler->unbind(*this);  // drops the owner list's ref
  const TaskState::Word prev = state.complete(cancelled);
  if (prev & TaskState::kJoinWaker) {
    join_waker.wake();  // read-only: the slot is ours to read, the joiner's to free
  } else if (!(prev & TaskState::kJoinInterest)) {
    if (auto e = unobserved_failure()) report_unobserved_failure(e);
  }
  release();  // drops the run queue's reference
}

}  // namespace troupe::detail
