#pragma once

#include <cstddef>

#include <troupe/runtime/detail/scheduler.hpp>

namespace troupe::detail {

/// A Scheduler that runs tasks only when its owner drives it, on the
/// owner's thread: the TestExecutor, and the simulation's SimScheduler
/// (sim/sim_scheduler.hpp). Code that would otherwise block until tasks
/// have run (ActorSystem::shutdown) drives it instead. Owned by the test;
/// driven by one thread at a time.
class DrivenScheduler : public Scheduler {
 public:
  /// Runs ready tasks until none is ready, without moving the clock;
  /// returns how many steps it took.
  virtual std::size_t run_until_idle() = 0;

 protected:
  ~DrivenScheduler() = default;
};

}  // namespace troupe::detail
