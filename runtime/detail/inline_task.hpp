#pragma once

#include <utility>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/driver.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::detail {

/// A Task driven in place as a Future: polled by the task that awaits it,
/// on that task's thread, with a Driver of its own (so that it can wait on
/// other things than the task's root chain, as an arm of `select` does).
///
/// Owns the Task; destroying it before it finished destroys the Task's
/// frames (cancellation, synchronous and on the spot). Not movable once
/// polled (the Task's promises point at its Driver); polled by one task.
template <class T>
class InlineTask {
 public:
  explicit InlineTask(Task<T> task) noexcept : task_(std::move(task)) {}
  InlineTask(InlineTask&& other) noexcept : task_(std::move(other.task_)) {}
  InlineTask(const InlineTask&) = delete;
  InlineTask& operator=(const InlineTask&) = delete;

  bool poll(Context& cx) noexcept {
    auto h = task_.handle();
    if (!started_) {
      started_ = true;
      h.promise().set_driver(&driver_, {});
      driver_.park(h, nullptr, nullptr);
    } else if (h.done()) {
      return true;
    }
    driver_.set_task(cx.task());
    driver_.advance();
    return h.done();
  }

  /// The Task's value, or its exception rethrown.
  T await_resume() { return task_.handle().promise().result.get(); }

 private:
  Task<T> task_;
  Driver driver_;
  bool started_ = false;
};

}  // namespace troupe::detail
