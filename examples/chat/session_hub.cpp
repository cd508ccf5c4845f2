#include "chat/session_hub.hpp"

namespace chat {

void SessionHub::handle(const v1::Routed& m) {
  for (const std::uint64_t session : m.sessions()) {
    if (SessionAddress a = ctx_->directory.local_session(session)) a.tell(m.event());
  }
}

troupe::TellStatus SessionLink::tell(v1::SessionEvent e) const {
  if (local_) return local_.tell(std::move(e));
  v1::Routed routed;
  routed.add_sessions(session_);
  *routed.mutable_event() = std::move(e);
  return hub_.tell(routed);
}

}  // namespace chat
