#pragma once

#include <chrono>

namespace troupe {

/// The runtime's clock. Deadlines are absolute Instants on the monotonic
/// clock; the test executor replaces `now()` with a virtual time that tests
/// advance by hand, so every timer API takes its time from the scheduler.
using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;
using Duration = Clock::duration;

}  // namespace troupe
