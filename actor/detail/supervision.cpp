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

ChildRecord& SupervisionState::child(const ActorCellBase& c) {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [&](const ChildRecord& r) { return r.cell == &c; });
  if (it != children_.end()) return *it;
  return children_.emplace_back(ChildRecord{&c, {}, 0});
}

void SupervisionState::forget(const ActorCellBase& c) noexcept {
  std::erase_if(children_, [&](const ChildRecord& r) { return r.cell == &c; });
}

// A handler (or on_start) threw, or this supervisor escalates a child's
// failure.
void ActorCellBase::fail(std::exception_ptr e) noexcept {
  current_.reset();
  if (ending()) return;
  const ExitReason reason = ExitReason::failed(e);
  if (parent_) {
    suspend(reason);
    parent_->post(SystemMessage::Kind::kChildFailed, this, reason, restarts_);
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

// A child failed (its instance number `instance`): this actor, its
// supervisor, decides.
void ActorCellBase::supervise(ActorCellBase& child, const ExitReason& reason,
                              std::uint32_t instance) noexcept {
  // Acquire, as in extras(); it is there since the child was adopted.
  CellExtras* x = extras_.load(std::memory_order_acquire);
  if (x == nullptr) return;  // no children
  const bool present = x->relations.has_child(child);
  ChildRecord* record = nullptr;
  if (present) {
    try {
      record = &x->supervision.child(child);
    } catch (...) {  // no memory to remember it: decided as a new failure
    }
  }
  // An instance that a restart already ordered replaces (an all-for-one
  // restart that reached it after it had failed too): that restart answers
  // this failure, which does not count against the limit again, as in
  // Erlang's one_for_all, where siblings that exit during a restart cause
  // no restart of their own.
  if (record != nullptr && instance < record->restarts_ordered) return;
  Directive d = Directive::kEscalate;
  SupervisorStrategy s;
  try {
    s = supervisor_strategy();
    d = s.decide(reason.error());
  } catch (...) {
  }
  const bool all = s.scope == SupervisorStrategy::Scope::kAllForOne;
  if (d == Directive::kRestart) {
    if (!present) return;  // already gone
    try {
      RestartWindow& w = all ? x->supervision.all() : x->supervision.child(child).window;
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
      const bool restart = d == Directive::kRestart;
      x->relations.for_each_child([&](ActorCellBase& c) {
        if (&c != &child && !all) return;
        if (restart) {
          try {
            ++x->supervision.child(c).restarts_ordered;
          } catch (...) {  // no memory to remember it: a later failure counts anew
          }
        }
        c.post(kind, this, &c == &child ? reason : ExitReason::stopped());
      });
      return;
    }
    case Directive::kEscalate:
      fail(reason.error());  // this supervisor fails; its own supervisor decides
      return;
  }
}

}  // namespace troupe::detail
