#pragma once

#include <string_view>

#include <troupe/actor/actor_id.hpp>

namespace troupe {

/// Why a message was not delivered.
enum class DeadLetterReason {
  kStopped,      // the target had stopped, or stopped with it still queued
  kMailboxFull,  // the target's bounded mailbox refused it (policy kFail)
  kDropped,      // the target's bounded mailbox dropped it (policy kDrop)
  kUndecodable,  // it came as bytes (an envelope) that could not be decoded
  kUnreachable,  // (remote actors) its node was not connected, or the connection was lost
  kLocalOnly,    // (remote actors) it cannot cross to another node: not a protobuf message, or
                 // not in the actor class's `messages` (or, for an ask, its reply cannot cross)
};

/// A message that was not delivered, as reported to the dead-letter hook
/// of its ActorSystem. Every undelivered message is counted and reported:
/// none is lost silently.
struct DeadLetter {
  ActorId target;
  /// The C++ type name (as typeid gives it), or the protobuf type name of
  /// an envelope. Valid during the hook call only.
  std::string_view message_type;
  DeadLetterReason reason;
};

}  // namespace troupe
