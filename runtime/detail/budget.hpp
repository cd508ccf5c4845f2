#pragma once

#include <cstdint>
#include <limits>

#include <troupe/runtime/context.hpp>

namespace troupe::detail {

/// How many operations that could complete at once (a send into a mailbox
/// or a channel with room, a receive of a waiting item) a task may do in one
/// run on a worker before it yields.
///
/// Why: a task that keeps sending wakes its receivers onto its own worker's
/// queue, where they wait until it stops; a worker that runs dry steals
/// the ones that waited about 25 us (Executor::kStealDelayPauses), and
/// every message they exchange then crosses between the cores. Yielding
/// well before that lets them run here, where their messages are in the
/// cache. fork_join (a driver task sending to 60 actors) ran 14-39 M/s with
/// two workers without it, 39-41 M/s with it (as with one worker);
/// channel_mpmc 29-31 -> 36-39 M/s. 256, 512 and 1,024 did alike on
/// fork_join; 512 was the best on channel_mpmc (bench/README.md, "A budget
/// per run"). Tokio's cooperative budget is the same idea (128 operations
/// per poll).
inline constexpr std::uint32_t kTaskBudget = 512;
/// The budget outside a worker's run (a block_on thread, a simulation):
/// nothing to yield to there that would not run anyway.
inline constexpr std::uint32_t kNoBudget = std::numeric_limits<std::uint32_t>::max();

/// What is left of the running task's budget on this thread; set by the
/// executor before each run (kNoBudget on other threads).
extern constinit thread_local std::uint32_t tls_budget;

/// Counts one operation of the running task against its budget. True:
/// go on. False: the budget is spent; the task has been woken (as by
/// yield_now(), so it goes to the back of its worker's run queue when this
/// run ends) and the caller returns "pending" without doing the operation.
/// Its next poll comes in the task's next run, with a new budget.
inline bool poll_budget(const Context& cx) noexcept {
  const std::uint32_t left = tls_budget;
  if (left != 0) [[likely]] {
    if (left != kNoBudget) tls_budget = left - 1;
    return true;
  }
  cx.task().wake();
  return false;
}

}  // namespace troupe::detail
