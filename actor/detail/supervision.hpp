#pragma once

#include <cstdint>
#include <vector>

#include <troupe/actor/supervisor_strategy.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe::detail {

class ActorCellBase;

/// The restarts counted against one strategy's intensity limit: at most
/// `max_restarts` within any `within`. Not thread-safe.
class RestartWindow {
 public:
  /// Forgets the restarts that fell out of the window; true if one more at
  /// `now` stays within the limit (and counts it).
  bool allow(const SupervisorStrategy& s, Instant now);

 private:
  std::vector<Instant> times_;
};

/// What a supervisor remembers of one child.
struct ChildRecord {
  const ActorCellBase* cell;  // identity only
  RestartWindow window;       // its restarts, under a one-for-one strategy
  // The restarts ordered for it: a failure of an instance older than the
  // last ordered is answered by that restart already (an all-for-one
  // restart that reached a sibling after the sibling had failed too).
  std::uint32_t restarts_ordered = 0;
};

/// What an actor remembers between its supervision decisions (see
/// supervision.cpp): the restart windows. Owned by its cell (in its
/// CellExtras); only the actor's own loop touches it, so it has no lock.
class SupervisionState {
 public:
  /// The window of an all-for-one supervisor, or of a top-level actor's
  /// own restarts.
  RestartWindow& all() noexcept { return all_; }
  /// What it remembers of child `c` (made at the first need).
  ChildRecord& child(const ActorCellBase& c);
  /// `c` has stopped: its record goes (its memory may host another child).
  void forget(const ActorCellBase& c) noexcept;

 private:
  RestartWindow all_;
  std::vector<ChildRecord> children_;
};

}  // namespace troupe::detail
