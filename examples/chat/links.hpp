#pragma once

#include <cstdint>
#include <utility>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>

#include "chat.pb.h"

namespace chat {

class SessionHub;

/// A session actor's address (sessions are loop actors over their mailbox).
using SessionAddress = troupe::Address<v1::SessionEvent>;

/// A session: its address on this node, or its id behind the SessionHub
/// of the connections node. tell() is the same either way.
class SessionLink {
 public:
  SessionLink() = default;
  explicit SessionLink(SessionAddress local) : local_(std::move(local)) {}
  SessionLink(troupe::ActorRef<SessionHub> hub, std::uint64_t session)
      : hub_(std::move(hub)), session_(session) {}

  explicit operator bool() const noexcept {
    return static_cast<bool>(local_) || static_cast<bool>(hub_);
  }
  bool is_remote() const noexcept { return static_cast<bool>(hub_); }
  const SessionAddress& local() const noexcept { return local_; }
  const troupe::ActorRef<SessionHub>& hub() const noexcept { return hub_; }

  troupe::TellStatus tell(v1::SessionEvent e) const;

  /// True if the session lives on the node `origin` names (a message's
  /// trusted origin): behind that node's hub, this incarnation of it; or,
  /// for an empty (local) origin, in this process.
  bool lives_on(const troupe::v1::Origin& origin) const noexcept;

 private:
  SessionAddress local_;
  troupe::ActorRef<SessionHub> hub_;
  std::uint64_t session_ = 0;
};

}  // namespace chat
