#pragma once

#include <cstdint>
#include <utility>
#include <variant>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/remote/remote_ref.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>

#include "chat.pb.h"

namespace chat {

class SessionHub;

/// A session actor's address (sessions are loop actors over their mailbox).
using SessionAddress = troupe::Address<v1::SessionEvent>;

/// An actor of class A, on this node (ActorRef) or on the other node of a
/// split server (RemoteRef): the same tell and ask either way, since every
/// message between the chat's actors is a protobuf type. A plain value;
/// thread-safe like the refs it holds. Empty by default (test it first).
template <class A>
class Link {
 public:
  Link() = default;
  Link(troupe::ActorRef<A> local) : ref_(std::move(local)) {}  // NOLINT: implicit by design
  Link(troupe::remote::RemoteRef<A> remote) : ref_(std::move(remote)) {}  // NOLINT

  explicit operator bool() const noexcept {
    return std::visit([](const auto& r) { return static_cast<bool>(r); }, ref_);
  }
  troupe::ActorId id() const noexcept {
    return std::visit([](const auto& r) { return r.id(); }, ref_);
  }
  bool is_remote() const noexcept { return ref_.index() == 1; }

  template <class M>
  troupe::TellStatus tell(const M& m) const {
    return std::visit([&m](const auto& r) { return r.tell(m); }, ref_);
  }
  /// `co_await send(m)`: tell, waiting while the way is full (a bounded
  /// mailbox here, the outbox to the other node there) instead of
  /// refusing. The link must outlive the wait.
  template <class M>
  troupe::Task<troupe::TellStatus> send(M m) const {
    if (const auto* local = std::get_if<0>(&ref_)) {
      const troupe::TellStatus status = co_await local->send(std::move(m));
      co_return status;
    }
    const troupe::TellStatus status = co_await std::get<1>(ref_).send(m);
    co_return status;
  }

  template <class M>
  auto ask(const M& m, troupe::Duration timeout) const {
    return std::visit([&m, timeout](const auto& r) { return r.ask(m, timeout); }, ref_);
  }

 private:
  std::variant<troupe::ActorRef<A>, troupe::remote::RemoteRef<A>> ref_;
};

/// A session: its address on this node, or its id behind the SessionHub
/// of the connections node. tell() is the same either way.
class SessionLink {
 public:
  SessionLink() = default;
  explicit SessionLink(SessionAddress local) : local_(std::move(local)) {}
  SessionLink(troupe::remote::RemoteRef<SessionHub> hub, std::uint64_t session)
      : hub_(std::move(hub)), session_(session) {}

  explicit operator bool() const noexcept {
    return static_cast<bool>(local_) || static_cast<bool>(hub_);
  }
  bool is_remote() const noexcept { return static_cast<bool>(hub_); }
  const SessionAddress& local() const noexcept { return local_; }
  const troupe::remote::RemoteRef<SessionHub>& hub() const noexcept { return hub_; }

  troupe::TellStatus tell(v1::SessionEvent e) const;

  /// True if the session lives on the node `origin` names (a message's
  /// trusted origin): behind that node's hub, this incarnation of it; or,
  /// for an empty (local) origin, in this process.
  bool lives_on(const troupe::v1::Origin& origin) const noexcept;

 private:
  SessionAddress local_;
  troupe::remote::RemoteRef<SessionHub> hub_;
  std::uint64_t session_ = 0;
};

}  // namespace chat
