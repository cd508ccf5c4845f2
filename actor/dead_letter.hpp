#pragma once

#include <troupe/actor/actor_id.hpp>

namespace troupe {

/// Why a message was not delivered.
enum class DeadLetterReason {
  kStopped,      // the target had stopped, or stopped with it still queued
  kMailboxFull,  // the target's bounded mailbox refused it (policy kFail)
  kDropped,      // the target's bounded mailbox dropped it (policy kDrop)
};

/// A message that was not delivered, as reported to the dead-letter hook
/// of its ActorSystem. Every undelivered message is counted and reported:
/// none is lost silently.
struct DeadLetter {
  ActorId target;
  const char* message_type;  // the C++ type name (mangled, as typeid gives it)
  DeadLetterReason reason;
};

}  // namespace troupe
