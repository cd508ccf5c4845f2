#pragma once

#include <memory>

#include <troupe/actor/detail/handler_span.hpp>
#include <troupe/actor/detail/lifecycle.hpp>
#include <troupe/actor/detail/pending_ask.hpp>
#include <troupe/actor/detail/relations.hpp>
#include <troupe/actor/detail/supervision.hpp>

namespace troupe::detail {

/// The part of an actor's cell that an actor which is only ever told
/// things does without: allocated on first use (ActorCellBase::extras()),
/// so that an idle actor is one allocation, and freed with the cell. One
/// member per concept; each says who may touch it.
struct CellExtras {
  Relations relations;           // thread-safe (relations.hpp)
  SupervisionState supervision;  // the actor's loop only (supervision.hpp)
  LifecycleExtras lifecycle;     // the actor's loop only (lifecycle.hpp)
  PendingAsks asks;              // its task held only (pending_ask.hpp)
  // A traced coroutine handler's span; the actor's loop only (handler_span.hpp).
  std::unique_ptr<HandlerSpan> span;
};

}  // namespace troupe::detail
