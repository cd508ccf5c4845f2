#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>

#include <troupe/runtime/detail/block_pool.hpp>
#include <troupe/runtime/detail/driver.hpp>
#include <troupe/runtime/detail/task_state.hpp>
#include <troupe/runtime/detail/wake_target.hpp>
#include <troupe/runtime/waker.hpp>

namespace troupe::detail {

class Scheduler;
class TaskHeader;

/// The type-erased part of a spawned task: what wakers, run queues and the
/// scheduler see. The typed part (the root coroutine and its result) is
/// TaskCell<T>. Lives on the heap (the block pool's, as a PooledObject)
/// until the last reference (waker, queue, JoinHandle, owner list) is
/// dropped.
///
/// The driver (where the root chain is parked) is touched only by the thread
/// that holds the task in RUNNING; everything shared goes through `state`.
class TaskHeader : public WakeTarget, public PooledObject {
 public:
  explicit TaskHeader(Scheduler& s, TaskState::Word refs) noexcept : state(refs), scheduler(&s) {}

  // WakeTarget
  void wake() noexcept final;
  void retain() noexcept final { state.ref(); }
  void release() noexcept final {
    if (state.unref()) deallocate();
  }
  void release(TaskState::Word n) noexcept {
    if (state.unref(n)) deallocate();
  }

  /// Called by the scheduler for a task it dequeued (owning the queue ref).
  void run() noexcept;
  /// Requests cooperative cancellation from any thread.
  void cancel() noexcept;
  /// The exception the task failed with, if nobody has taken it yet.
  virtual std::exception_ptr unobserved_failure() noexcept = 0;
  /// Holds an idle task (not queued, running or complete) from any thread,
  /// as its poller would: until end_hold no worker polls or destroys it, so
  /// the holder may read what only the poller touches (the actor module's
  /// live dump). A wake or cancel meanwhile is kept; end_hold queues the
  /// task then. False if it is not idle. Hold it briefly.
  bool try_hold() noexcept { return state.try_hold(); }
  void end_hold() noexcept;

  TaskState state;
  Scheduler* scheduler;
  // [[no_unique_address]] lets owner_shard sit in the driver's tail
  // padding: 8 bytes less for every task and every actor.
  [[no_unique_address]] Driver driver{this};  // the root coroutine's chain
  /// What the task is, marked by the layer above (1: an actor's cell).
  std::uint8_t tag = 0;
  std::uint32_t owner_shard = 0;  // which owner list; kUnowned if none
  static constexpr std::uint32_t kUnowned = ~std::uint32_t{0};
  TaskHeader* queue_next = nullptr;  // intrusive link for the inject queue
  TaskHeader* owner_prev = nullptr;  // intrusive links for the owner list
  TaskHeader* owner_next = nullptr;
  Waker join_waker;  // guarded by TaskState::kJoinWaker

 protected:
  ~TaskHeader() = default;
  /// Makes progress: for a coroutine task, polls the leaf its root chain
  /// waits on and resumes the chain if it is ready. True once the task has
  /// finished (its result can be taken).
  virtual bool poll() noexcept = 0;
  /// Takes the result (for the JoinHandle) and destroys what produced it.
  virtual void take_result() noexcept = 0;
  /// Destroys the task's work without a result (cancellation).
  virtual void destroy_frame() noexcept = 0;
  virtual void deallocate() noexcept = 0;

 private:
  void finish(bool cancelled) noexcept;
};

}  // namespace troupe::detail
