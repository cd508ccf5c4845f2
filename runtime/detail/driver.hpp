#pragma once

#include <coroutine>
#include <cstdint>

namespace troupe::detail {

class TaskHeader;

/// Polls the leaf future a coroutine chain is suspended on; true when ready.
using LeafPollFn = bool (*)(void* leaf, TaskHeader& task) noexcept;

/// What drives one chain of coroutines (a coroutine, the child it awaits,
/// that child's child, ...): where the chain is suspended, on which leaf
/// future, and which task's Context polls that leaf.
///
/// A spawned task has one (in its TaskHeader). So does each coroutine that
/// is polled as part of a task rather than spawned: an async generator
/// behind a Stream, an arm of `select`. Those set `task` anew on every poll,
/// so they may be polled by a different task each time. Every promise in a
/// chain points at the chain's Driver, which never moves.
///
/// Touched only by the thread that is polling the chain.
class Driver {
 public:
  explicit Driver(TaskHeader* task = nullptr) noexcept : task_(task) {}
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  TaskHeader& task() const noexcept { return *task_; }
  void set_task(TaskHeader& t) noexcept { task_ = &t; }

  /// Records where the chain is parked: `h` is resumed once `poll(leaf)`
  /// says ready. With `poll == nullptr`, `h` is resumed on the next advance.
  void park(std::coroutine_handle<> h, void* leaf, LeafPollFn poll) noexcept {
    resume_point_ = h;
    leaf_ = leaf;
    leaf_poll_ = poll;
  }

  /// Polls the leaf the chain is parked on and, if it is ready, resumes the
  /// chain until it parks again, yields or finishes. False if the leaf was
  /// still pending (nothing ran).
  bool advance() noexcept;

  /// Where a symmetric transfer between two coroutines of this chain goes:
  /// normally straight to `h`, but after kMaxInlineDepth transfers without
  /// the stack unwinding to advance(), back through advance() (a bounce).
  /// g++ 12 at -O0 and under ASan does not turn symmetric transfer into a
  /// tail call, so an unbounded chain of synchronous co_awaits would
  /// overflow the stack.
  std::coroutine_handle<> transfer_to(std::coroutine_handle<> h) noexcept {
    if (++inline_depth_ < kMaxInlineDepth) return h;
    park(h, nullptr, nullptr);
    bounce_ = true;
    return std::noop_coroutine();
  }
  static constexpr std::uint16_t kMaxInlineDepth = 256;

 private:
  TaskHeader* task_;
  std::coroutine_handle<> resume_point_;
  void* leaf_ = nullptr;
  LeafPollFn leaf_poll_ = nullptr;
  std::uint16_t inline_depth_ = 0;  // small: TaskHeader packs a field into the tail
  bool bounce_ = false;
};

inline bool Driver::advance() noexcept {
  if (leaf_poll_ != nullptr && !leaf_poll_(leaf_, *task_)) return false;
  leaf_poll_ = nullptr;
  do {
    bounce_ = false;
    inline_depth_ = 0;
    resume_point_.resume();
  } while (bounce_);
  return true;
}

}  // namespace troupe::detail
