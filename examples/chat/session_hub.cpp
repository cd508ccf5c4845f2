#include "chat/session_hub.hpp"

namespace chat {

void SessionHub::handle(const v1::Routed& m) {
  // Lines for the sessions here come from the rooms node in use (or from
  // this process), never from another node that happens to reach the hub.
  if (!m.origin().node().empty() && !ctx_->directory.from_rooms(m.origin())) {
    ctx_->refusals.refuse("Routed", "from " + describe(m.origin()) + ": not the rooms node");
    return;
  }
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
