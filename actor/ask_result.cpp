#include <troupe/actor/ask_result.hpp>

namespace troupe {

const char* to_string(AskError e) noexcept {
  switch (e) {
    case AskError::kTimeout:
      return "timeout";
    case AskError::kDeadActor:
      return "dead actor";
    case AskError::kMailboxFull:
      return "mailbox full";
    case AskError::kFailed:
      return "handler failed";
    case AskError::kBadMessage:
      return "bad message";
    case AskError::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

}  // namespace troupe
