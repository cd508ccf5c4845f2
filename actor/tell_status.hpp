#pragma once

namespace troupe {

/// What became of a message given to `tell` (or `send`).
enum class TellStatus {
  kQueued,       // it is in the mailbox: it will be handled (unless the actor stops first)
  kFull,         // a bounded mailbox refused it: a dead letter (kMailboxFull)
  kDropped,      // a bounded mailbox with Overflow::kDrop dropped it: a dead letter
  kDeadActor,    // the actor had stopped: a dead letter
  kUnreachable,  // (remote actors) its node is not connected: a dead letter
  kLocalOnly,    // (remote actors) the message cannot cross to another node: a dead letter
};

}  // namespace troupe
