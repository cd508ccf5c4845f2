#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include <troupe/actor/detail/cell_ptr.hpp>

namespace troupe::detail {

class ActorCellBase;

/// One actor's place among the others: the actors watching it (monitors),
/// the actors linked to it, its children, and the name the registry knows
/// it by. Each other actor is held by a counted reference (CellPtr).
///
/// Owned by the actor's cell (in its CellExtras). Thread-safe, one mutex:
/// monitor, link and name requests come from any thread; children change
/// only on the actor's own loop. Closed when the actor stops: from then on
/// every add is refused, and the caller acts on the stop itself.
class Relations {
 public:
  /// `watcher` gets Down when the actor stops. False once closed.
  bool add_watcher(ActorCellBase& watcher);
  /// `other` gets Exit when the actor stops abnormally. False once closed.
  bool add_link(ActorCellBase& other);
  /// A new child, supervised by the actor.
  void add_child(ActorCellBase& child);
  /// Records the actor's name (one per actor); false if it has one, or closed.
  bool set_name(const std::string& name);

  /// The actor's name; empty if it has none.
  std::string name() const {
    std::lock_guard lock(mutex_);
    return name_;
  }

  /// True while `child` is one of the children (it has not stopped).
  bool has_child(const ActorCellBase& child) const;
  /// Drops `child` (it has stopped); true if no child is left.
  bool remove_child(const ActorCellBase& child);
  /// Calls `f(child)` for each child under the lock (`f` may post to the
  /// child, not come back to these relations); returns how many there are.
  template <class F>
  std::size_t for_each_child(F&& f) const {
    std::lock_guard lock(mutex_);
    for (const CellPtr& c : children_) f(*c);
    return children_.size();
  }

  /// What the relations held when they were closed.
  struct Severed {
    std::vector<CellPtr> watchers;
    std::vector<CellPtr> links;
    std::vector<CellPtr> children;  // empty after an orderly stop
    std::string name;               // empty if it had none
  };
  /// Ends every relation at once (the actor has stopped) and hands over
  /// what they held, for the actor's last notices.
  Severed close() noexcept;

 private:
  mutable std::mutex mutex_;  // guards everything below
  std::vector<CellPtr> watchers_;
  std::vector<CellPtr> links_;
  std::vector<CellPtr> children_;
  std::string name_;
  bool closed_ = false;
};

}  // namespace troupe::detail
