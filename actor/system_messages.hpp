#pragma once

#include <cstdint>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/exit_reason.hpp>

namespace troupe {

/// Delivered to an actor that monitors another when that one stops (or at
/// once, if it had already stopped). Handle it with
/// `void handle(const troupe::Down&)`; without such a handler it is ignored.
/// Like every system message it overtakes queued user messages.
struct Down {
  ActorId actor;
  ExitReason reason;
  /// The incarnation of the node the actor lived on (remote actors); 0 for
  /// an actor of this process.
  std::uint64_t node = 0;
};

/// Delivered to an actor linked to one that stopped abnormally. An actor
/// with `void handle(const troupe::Exit&)` traps it (gets it as a message);
/// any other actor stops at once with ExitReason::linked.
struct Exit {
  ActorId actor;
  ExitReason reason;
};

/// Delivered to an actor that set a receive timeout (Actor::set_receive_timeout)
/// when no message has arrived for that long. Handle it with
/// `void handle(const troupe::ReceiveTimeout&)`. The clock restarts after
/// each message, and after each ReceiveTimeout.
struct ReceiveTimeout {};

}  // namespace troupe
