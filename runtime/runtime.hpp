#pragma once

#include <cstddef>
#include <memory>

#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe {

namespace detail {
class Executor;
class Scheduler;
}  // namespace detail

/// Settings for a Runtime.
struct RuntimeOptions {
  /// Worker threads; 0 means one per hardware thread.
  std::size_t workers = 0;
};

/// Owns the worker threads that run tasks, the timers and the I/O reactor:
/// the C++ counterpart of a multi-threaded Tokio runtime.
///
/// Create one (usually in main), then `block_on` a root task or `spawn` tasks
/// into it. Destroying it (or calling `shutdown`) cancels every task that is
/// still alive, destroys their frames, and joins the threads. spawn and
/// block_on are thread-safe; shutdown must not be called from its own tasks.
class Runtime {
 public:
  explicit Runtime(RuntimeOptions options = {});
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime();

  /// Starts `task` on a worker; the JoinHandle gives its result.
  template <class T>
  JoinHandle<T> spawn(Task<T> task) {
    return detail::spawn_on(scheduler(), std::move(task));
  }

  /// Runs `task` to completion and returns its result (or rethrows). Blocks
  /// the calling thread, which must not be one of this runtime's workers.
  template <class T>
  T block_on(Task<T> task) {
    check_not_on_worker("block_on");
    return spawn(std::move(task)).wait();
  }

  /// Cancels all tasks, waits until they are gone, joins the threads.
  void shutdown();

  std::size_t worker_count() const noexcept;
  /// Tasks spawned and not yet finished.
  std::size_t live_tasks() const noexcept;
  detail::Scheduler& scheduler() noexcept;

 private:
  void check_not_on_worker(const char* what) const;
  std::unique_ptr<detail::Executor> executor_;
};

}  // namespace troupe
