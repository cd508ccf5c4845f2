#pragma once

namespace troupe::detail {

/// What one non-blocking attempt at a channel operation did.
enum class ChannelOutcome {
  kDone,        // sent / received
  kWouldBlock,  // full (send) or empty but not drained (recv): park and retry
  kClosed,      // closed (send) or closed and drained (recv)
};

}  // namespace troupe::detail
