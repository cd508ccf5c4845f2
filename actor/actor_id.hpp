#pragma once

#include <cstdint>

namespace troupe {

/// The identity of an actor within its ActorSystem: unique for the life of
/// the system (never reused), stable across restarts. 0 means "no actor".
using ActorId = std::uint64_t;

}  // namespace troupe
