// Relations: who watches an actor, who is linked to it, its children and
// its name; and the cell's entry points for them (monitor, link, adopt,
// name). What an actor's stop sends along them is in lifecycle.cpp.

#include <algorithm>
#include <utility>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/cell_extras.hpp>
#include <troupe/actor/detail/relations.hpp>

namespace troupe::detail {

bool Relations::add_watcher(ActorCellBase& watcher) {
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  watchers_.emplace_back(watcher);
  return true;
}

bool Relations::add_link(ActorCellBase& other) {
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  links_.emplace_back(other);
  return true;
}

void Relations::add_child(ActorCellBase& child) {
  CellPtr ref(child);
  std::lock_guard lock(mutex_);
  children_.push_back(std::move(ref));
}

bool Relations::set_name(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (closed_ || !name_.empty()) return false;
  name_ = name;
  return true;
}

bool Relations::has_child(const ActorCellBase& child) const {
  std::lock_guard lock(mutex_);
  return std::find(children_.begin(), children_.end(), &child) != children_.end();
}

bool Relations::remove_child(const ActorCellBase& child) {
  CellPtr gone;  // released outside the lock
  std::lock_guard lock(mutex_);
  auto it = std::find(children_.begin(), children_.end(), &child);
  if (it != children_.end()) {
    gone = std::move(*it);
    children_.erase(it);
  }
  return children_.empty();
}

Relations::Severed Relations::close() noexcept {
  Severed s;
  std::lock_guard lock(mutex_);
  closed_ = true;
  s.watchers.swap(watchers_);
  s.links.swap(links_);
  s.children.swap(children_);
  s.name.swap(name_);
  return s;
}

// --- The cell's side --------------------------------------------------------------
//
// A request that finds the actor stopped acts on the stop itself. Whether
// it has is read (seq_cst) after the extras are there: see stopped().

void ActorCellBase::add_monitor(ActorCellBase& watcher) {
  CellExtras& x = extras();
  if (!stopped() && x.relations.add_watcher(watcher)) return;
  watcher.post(SystemMessage::Kind::kDown, this, exit_reason());  // already gone
}

void ActorCellBase::link(ActorCellBase& a, ActorCellBase& b) {
  // Each side adds the other unless it has already stopped, in which case
  // the survivor gets the Exit the stopped side would have sent.
  auto add = [](ActorCellBase& self, ActorCellBase& other) {
    CellExtras& x = self.extras();
    return !self.stopped() && x.relations.add_link(other);
  };
  if (!add(a, b)) {
    if (a.exit_reason().is_abnormal()) b.post(SystemMessage::Kind::kExit, &a, a.exit_reason());
    return;
  }
  if (!add(b, a) && b.exit_reason().is_abnormal()) {
    a.post(SystemMessage::Kind::kExit, &b, b.exit_reason());
  }
}

void ActorCellBase::adopt_child(ActorCellBase& child) { extras().relations.add_child(child); }

bool ActorCellBase::set_name(const std::string& name) {
  CellExtras& x = extras();
  return !stopped() && x.relations.set_name(name);
}

}  // namespace troupe::detail
