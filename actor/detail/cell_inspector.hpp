#pragma once

#include <troupe/actor/detail/pending_ask.hpp>
#include <troupe/actor/detail/system_core.hpp>
#include <troupe/actor/system_dump.hpp>

namespace troupe::detail {

class ActorCellBase;

/// What reads actors from outside their loop, for ActorSystem::dump: it
/// walks the actors (the top-level list, then each one's children), reads
/// each one's name and parent, and, holding its task as a worker would
/// (TaskHeader::try_hold, only while it is idle, never running), its
/// phase, mailbox and pending asks; then finds the cycles of the wait-for
/// graph. Costs the actors nothing while no dump runs.
///
/// Stateless; thread-safe (any thread, a handler included).
class CellInspector {
 public:
  /// The dump of every live actor of `core`.
  static SystemDump dump(SystemCore& core);
  /// `cell`'s pending asks, made on first use; from its own task only.
  static PendingAsks& pending_asks(ActorCellBase& cell);
};

/// The cycles of the wait-for graph `edges` (from, to): each once, as the
/// ids along it, from its smallest id (a self-ask is a cycle of one).
std::vector<std::vector<ActorId>> find_cycles(
    const std::vector<std::pair<ActorId, ActorId>>& edges);

}  // namespace troupe::detail
