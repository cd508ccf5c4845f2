#pragma once

#include <troupe/runtime/detail/ref_ptr.hpp>

namespace troupe::detail {

class ActorCellBase;

/// A counted reference to an actor's cell: what every handle to a local
/// actor holds (see RefPtr). The cell's memory lives as long as one does;
/// the actor itself may have stopped.
using CellPtr = RefPtr<ActorCellBase>;

}  // namespace troupe::detail
