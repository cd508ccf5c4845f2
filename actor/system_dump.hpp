#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <troupe/actor/actor_id.hpp>

namespace troupe {

/// What an actor is doing at the moment of a dump.
enum class ActorState : std::uint8_t {
  kStarting,   // made, its instance not constructed yet (or about to be again, on restart)
  kIdle,       // nothing to do: an empty mailbox (a loop actor waiting on it counts too)
  kScheduled,  // has work and is queued for a worker
  kRunning,    // a worker is running it now
  kWaiting,    // suspended inside a coroutine handler (or on_start), its mailbox held
  kSuspended,  // failed; waiting for its supervisor's decision
  kStopping,   // stopping: waiting for its children to stop
};

/// "idle", "running", ...
std::string_view to_string(ActorState s) noexcept;

/// One live actor in a SystemDump.
struct ActorInfo {
  ActorId id = 0;
  /// The actor's class, demangled ("chat::Room"); for a loop actor
  /// (spawn_loop) "loop<M>" with M its message type.
  std::string class_name;
  /// The name it is registered under; empty if none.
  std::string name;
  /// Its supervisor; 0 for a top-level actor.
  ActorId parent = 0;
  /// Messages waiting in its mailbox (system messages not counted). Empty
  /// when it could not be read: a worker was running the actor (kRunning,
  /// kScheduled) throughout the dump's few tries.
  std::optional<std::size_t> mailbox_depth;
  ActorState state = ActorState::kIdle;
};

/// One pending ask, made inside an actor's handler (on the actor's own
/// task): an edge of the wait-for graph. Asks made outside any actor (a
/// plain task, block_on) and those of an actor the dump could not read
/// (running) are not listed.
struct AskEdge {
  ActorId from = 0;          // the asking actor
  ActorId to = 0;            // the actor asked (its id on its own node if remote)
  std::string to_node;       // the asked actor's node; empty if it lives here
  std::string message_type;  // demangled
  /// How long the ask has waited: exact for an ask with a timeout; for one
  /// without, since the first dump that saw it (`at_least` is then true).
  std::chrono::nanoseconds waiting_for{0};
  bool at_least = false;
};

/// A snapshot of an ActorSystem, made by ActorSystem::dump(): every live
/// actor, the pending asks between actors (the wait-for graph), and the
/// cycles in that graph, which are probable deadlocks (each actor of a
/// cycle waits for the next, the last for the first; an ask with a
/// timeout ends one, so "probable").
///
/// A plain value, owned by the caller; the snapshot is not atomic across
/// actors (each is read at its own instant, a few microseconds apart).
/// Reading it is thread-safe like any const value.
struct SystemDump {
  std::vector<ActorInfo> actors;  // parents before their children
  std::vector<AskEdge> asks;
  /// Each cycle once, as the ids along it ({a, b}: a waits for b, b for a),
  /// starting at its smallest id; between local actors only.
  std::vector<std::vector<ActorId>> cycles;

  /// The actor with id `id`, or nullptr.
  const ActorInfo* find(ActorId id) const noexcept;
};

/// A readable text: one line per actor, then the asks, then one
/// "probable deadlock: 3 -> 5 -> 3" line per cycle.
std::string to_text(const SystemDump& dump);
/// The same as one JSON object: {"actors": [...], "asks": [...], "cycles": [[...]]}.
std::string to_json(const SystemDump& dump);

}  // namespace troupe
