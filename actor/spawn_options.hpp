#pragma once

#include <troupe/actor/mailbox_options.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe {

/// How to spawn an actor. A plain value.
struct SpawnOptions {
  MailboxOptions mailbox{};
  /// After this long without a message, the actor stops normally (its
  /// on_stop runs, monitors get Down with a normal reason): for actors
  /// that are made again on demand, such as a cluster's virtual actors.
  /// Zero: never. Class actors only (a loop actor owns its own waiting).
  Duration stop_when_idle = Duration::zero();
};

}  // namespace troupe
