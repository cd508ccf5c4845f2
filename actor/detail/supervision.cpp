// Supervision: what happens when an actor fails. A child asks its parent
// (ChildFailed), which decides by its strategy: restart (the child alone,
// or every child), stop, or escalate (it fails itself); a top-level actor
// applies the system's strategy to itself. The phase changes these
// decisions lead to are the lifecycle's (lifecycle.cpp).

#include <algorithm>
#include <string>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/cell_extras.hpp>
#include <troupe/actor/detail/supervision.hpp>

namespace troupe::detail {

bool RestartWindow::allow(const SupervisorStrategy& s, Instant now) {
  std::erase_if(times_, [&](Instant t) { return now - t > s.within; });
  if (times_.size() >= s.max_restarts) return false;
  times_.push_back(now);
  return true;
}

RestartWindow& SupervisionState::child(const ActorCellBase& c) {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [&](const auto& entry) { return entry.first == &c; });
  if (it != children_.end()) return it->second;
  return children_.emplace_back(&c, RestartWindow{}).second;
}

void SupervisionState::forget(const ActorCellBase& c) noexcept {
  std::erase_if(children_, [&](const auto& entry) { return entry.first == &c; });
}

// A handler (or on_start) threw, or this supervisor escalates a child's
// failure.
void ActorCellBase::fail(std::exception_ptr e) noexcept {
  current_.reset();
  if (ending()) return;
  const ExitReason reason = ExitReason::failed(e);
  if (parent_) {
    suspend(reason);
    parent_->post(SystemMessage::Kind::kChildFailed, this, reason);
    return;
  }
  // A top-level actor: the system's strategy, applied here.
  const SupervisorStrategy& s = system_->top_level_strategy();
  bool restart_it = false;
  try {
    restart_it =
        s.decide(e) == Directive::kRestart && extras().supervision.all().allow(s, scheduler->now());
  } catch (...) {
  }
  if (restart_it) {
    restart();
    return;
  }
  try {
    system_->log("actor " + std::to_string(id_) + " stopped: " + reason.describe());
  } catch (...) {  // no memory for the line: the stop matters more
  }
  begin_stop(reason);
}

// A child failed: this actor, its supervisor, decides.
void ActorCellBase::supervise(ActorCellBase& child, const ExitReason& reason) noexcept {
  Directive d = Directive::kEscalate;
  SupervisorStrategy s;
  try {
    s = supervisor_strategy();
    d = s.decide(reason.error());
  } catch (...) {
  }
  const bool all = s.scope == SupervisorStrategy::Scope::kAllForOne;
  // Acquire, as in extras(); it is there since the child was adopted.
  CellExtras* x = extras_.load(std::memory_order_acquire);
  if (d == Directive::kRestart) {
    if (x == nullptr || !x->relations.has_child(child)) return;  // already gone
    try {
      RestartWindow& w = all ? x->supervision.all() : x->supervision.child(child);
      if (!w.allow(s, scheduler->now())) d = Directive::kEscalate;
    } catch (...) {  // no memory to count it: as over the limit
      d = Directive::kEscalate;
    }
  }
  switch (d) {
    case Directive::kRestart:
    case Directive::kStop: {
      const auto kind =
          d == Directive::kRestart ? SystemMessage::Kind::kRestart : SystemMessage::Kind::kStop;
      if (x == nullptr) return;
      x->relations.for_each_child([&](ActorCellBase& c) {
        if (&c == &child) {
          c.post(kind, this, reason);
        } else if (all) {
          c.post(kind, this, ExitReason::stopped());
        }
      });
      return;
    }
    case Directive::kEscalate:
      fail(reason.error());  // this supervisor fails; its own supervisor decides
      return;
  }
}

}  // namespace troupe::detail
