#pragma once

#include <chrono>

namespace troupe {

/// The runtime's clock. Deadlines are absolute Instants on the monotonic
/// clock; the test executor replaces `now()` with a virtual time that tests
/// advance by hand, so every timer API takes its time from the scheduler.
using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;
using Duration = Clock::duration;

/// Now, on the clock of the scheduler running the calling task: virtual on
/// a TestExecutor or in a simulation, Clock::now() on a Runtime and outside
/// any task. What code that runs in tasks compares its deadlines with, so
/// that they hold under virtual time as they do on the wall clock.
Instant now() noexcept;

}  // namespace troupe
