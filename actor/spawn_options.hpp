#pragma once

#include <troupe/actor/mailbox_options.hpp>

namespace troupe {

/// How to spawn an actor (its mailbox, for now). A plain value.
struct SpawnOptions {
  MailboxOptions mailbox;
};

}  // namespace troupe
