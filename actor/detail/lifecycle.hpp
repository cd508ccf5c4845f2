#pragma once

#include <cstdint>
#include <exception>
#include <optional>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/sleep.hpp>

namespace troupe::detail {

/// Where an actor is in its life (ActorCellBase, lifecycle.cpp). Only the
/// actor's loop reads or writes it, so it is a plain field.
///
/// Transitions (what moves it; what happens on the way):
///
///   kStarting   --its loop runs-->            kRunning    construct it, run on_start
///   kRunning    --a message-->                kRunning    its handler
///               --a handler or on_start throws, or it escalates a child's failure:
///                 it has a parent-->          kSuspended  ChildFailed to the parent
///                 top-level, restart allowed->kStarting   old instance destroyed
///                 top-level, otherwise-->     kStopping   (as Stop; reported by the log hook)
///               --Restart (all-for-one)-->    kStarting   old instance destroyed, children
///                                                         stopped
///               --stop(), an Exit it does not handle, its mailbox closed
///                 and drained-->              kStopping   (as Stop)
///   kSuspended  --Restart from its parent-->  kStarting   (as above)
///   kStarting,
///   kRunning,
///   kSuspended  --Stop-->                     kStopping   mailbox to dead letters, Stop to
///                                                         each child
///   kStopping   --no child left (at once, or
///                 the last ChildStopped)-->   kDone       finalize: on_stop; Down, Exit,
///                                                         ChildStopped (or the top-level
///                                                         list) and the registry told
///   any but kDone --runtime shutdown-->       kDone       finalize, telling nobody
///
/// A Stop that comes while a coroutine handler runs cancels the handler
/// first; other system messages wait for it. In kSuspended and kStopping
/// only a system message moves it on. kDone is final: the loop returns
/// true and the task completes.
enum class ActorPhase : std::uint8_t {
  kStarting,   // the instance is to be constructed
  kRunning,    // handling messages
  kSuspended,  // failed; waiting for its supervisor's decision
  kStopping,   // waiting for its children to stop
  kDone,       // gone: only the cell's memory remains, until its last reference
};

/// The lifecycle's state that an idle actor does without (see CellExtras).
/// The actor's loop only, except exit_error (see ActorCellBase::exit_reason).
struct LifecycleExtras {
  std::exception_ptr exit_error;  // of an abnormal exit (the kind is in the cell)
  // The receive timeout: its length, and the timer armed while the
  // mailbox is empty.
  Duration receive_timeout = Duration::zero();
  std::optional<Sleep> idle_timer;
  // SpawnOptions::stop_when_idle, and its timer (armed while the mailbox
  // is empty, like the receive timeout's).
  Duration stop_when_idle = Duration::zero();
  std::optional<Sleep> stop_timer;

  /// A message came (both idle clocks start over), or the actor is done
  /// (an armed timer's waker holds the cell: a cycle until disarmed).
  void disarm_idle_timers() noexcept {
    idle_timer.reset();
    stop_timer.reset();
  }
};

}  // namespace troupe::detail
