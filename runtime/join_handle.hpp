#pragma once

#include <stdexcept>
#include <utility>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/report.hpp>
#include <troupe/runtime/detail/task_cell.hpp>
#include <troupe/runtime/detail/thread_parker.hpp>

namespace troupe {

/// Thrown when the result of a task that was cancelled is asked for.
class TaskCancelled : public std::runtime_error {
 public:
  TaskCancelled() : std::runtime_error("troupe: the task was cancelled") {}
};

/// The owner's side of a spawned task: await its result from a Task, wait for
/// it from a plain thread, cancel it, or detach it.
///
/// Move-only. Dropping it detaches the task (it keeps running; a failure is
/// then reported by the unobserved-failure hook instead of being lost). One
/// JoinHandle is used by one thread at a time; the task it refers to runs
/// independently.
template <class T>
class [[nodiscard]] JoinHandle {
 public:
  JoinHandle() noexcept = default;
  explicit JoinHandle(detail::TaskCell<T>* cell) noexcept : cell_(cell) {}
  JoinHandle(JoinHandle&& other) noexcept : cell_(std::exchange(other.cell_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    if (this != &other) {
      detach();
      cell_ = std::exchange(other.cell_, nullptr);
    }
    return *this;
  }
  ~JoinHandle() { detach(); }

  /// True once the task has completed, failed or been cancelled.
  bool is_finished() const noexcept { return cell_->state.load() & detail::TaskState::kComplete; }

  /// Requests cancellation: the task's frame is destroyed at its next
  /// suspension point (never while it runs). Awaiting it then throws
  /// TaskCancelled, unless it completed first.
  void cancel() noexcept { cell_->cancel(); }

  /// Lets the task run on without an owner.
  void detach() noexcept {
    if (!cell_) return;
    using S = detail::TaskState;
    const auto prev = cell_->state.drop_join_interest();
    if (prev & S::kComplete) {
      if (auto e = cell_->unobserved_failure()) detail::report_unobserved_failure(e);
    }
    // The finisher reads the joiner waker only if it sees JOIN_WAKER when it
    // completes; unless it already has, the slot is ours again. Dropping
    // the waker now rather than with the cell matters: it may keep another
    // task (the awaiter) alive for as long as this one lives, and two tasks
    // awaiting each other would otherwise keep each other alive forever.
    if (!(prev & S::kComplete) || !(prev & S::kJoinWaker)) cell_->join_waker.reset();
    std::exchange(cell_, nullptr)->release();
  }

  /// Blocks the calling thread until the task finishes and returns its result
  /// (rethrowing its exception). Throws std::logic_error instead of blocking
  /// a runtime's worker thread (co_await the handle there).
  T wait() {
    if (!is_finished()) detail::require_plain_thread("JoinHandle::wait");
    detail::ParkerRef parker;
    while (!register_joiner(parker->waker())) parker->park();
    return take();
  }

  // Future protocol: `co_await handle` from inside a Task.
  bool poll(Context& cx) noexcept {
    const auto w = cell_->state.load();
    if (w & detail::TaskState::kComplete) return true;
    if ((w & detail::TaskState::kJoinWaker) && cx.will_wake(cell_->join_waker)) return false;
    return register_joiner(cx.waker());
  }
  T await_resume() { return take(); }

 private:
  // Installs `w` as the joiner waker; true if the task is already complete.
  bool register_joiner(Waker w) noexcept {
    using S = detail::TaskState;
    auto cur = cell_->state.load();
    if (cur & S::kComplete) return true;
    if ((cur & S::kJoinWaker) && !cell_->state.unset_join_waker()) return true;
    cell_->join_waker = std::move(w);
    if (!cell_->state.set_join_waker()) return true;
    return false;
  }

  T take() {
    // CANCELLED may also be set on a task that finished before it saw the
    // request; then it has a result, and the result wins.
    if (cell_->result.empty()) throw TaskCancelled();
    cell_->result_taken = true;
    return cell_->result.get();
  }

  detail::TaskCell<T>* cell_ = nullptr;
};

}  // namespace troupe
