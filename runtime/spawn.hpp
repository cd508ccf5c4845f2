#pragma once

#include <stdexcept>

#include <troupe/runtime/detail/metrics_counters.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/task_cell.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe {

namespace detail {
/// Creates the task on `s` and queues it. If `s` is shutting down, the task
/// is cancelled before it ever runs.
template <class T>
JoinHandle<T> spawn_on(Scheduler& s, Task<T> task) {
  auto* cell = TaskCell<T>::make(s, std::move(task));
  if (s.bind(*cell)) {
    count_task_spawned();
    s.schedule(*cell, ScheduleHint::kSpawn);
  } else {
    cell->owner_shard = TaskHeader::kUnowned;
    cell->release();  // the owner list's reference, unused
    cell->cancel();   // already SCHEDULED: only marks it
    cell->run();      // destroys the frame here: nothing of it ever ran
  }
  return JoinHandle<T>(cell);
}
}  // namespace detail

/// Starts `task` as a new top-level task on the runtime of the calling task.
/// Must be called from inside a task (use Runtime::spawn from elsewhere).
template <class T>
JoinHandle<T> spawn(Task<T> task) {
  detail::Scheduler* s = detail::current_scheduler();
  if (s == nullptr) {
    throw std::logic_error("troupe::spawn called outside a runtime; use Runtime::spawn");
  }
  return detail::spawn_on(*s, std::move(task));
}

}  // namespace troupe
