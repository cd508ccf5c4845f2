#pragma once

#include <utility>

#include <troupe/runtime/detail/result.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/task_header.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::detail {

/// A spawned task: the header the runtime sees, the root coroutine, and, once
/// it has finished, its result (for the JoinHandle). Created by `spawn` with
/// three references: the owner list's, the JoinHandle's and the run queue's.
template <class T>
class TaskCell final : public TaskHeader {
 public:
  static TaskCell* make(Scheduler& s, Task<T> root) { return new TaskCell(s, std::move(root)); }

  /// The result; valid once the state is COMPLETE without CANCELLED.
  Result<T> result;
  bool result_taken = false;

  std::exception_ptr unobserved_failure() noexcept override {
    return result_taken ? nullptr : result.exception();
  }

 private:
  TaskCell(Scheduler& s, Task<T> root) noexcept : TaskHeader(s, 3), root_(std::move(root)) {
    root_.handle().promise().set_driver(&driver, {});
    driver.park(root_.handle(), nullptr, nullptr);
  }
  ~TaskCell() = default;

  bool poll() noexcept override { return driver.advance() && root_.handle().done(); }
  void take_result() noexcept override {
    try {
      result.take_from(std::move(root_.handle().promise().result));
    } catch (...) {
      // T's move constructor threw: the joiner gets that instead.
      result.set_exception(std::current_exception());
    }
    root_.reset();
  }
  void destroy_frame() noexcept override { root_.reset(); }
  void deallocate() noexcept override { delete this; }

  Task<T> root_;
};

}  // namespace troupe::detail
