#pragma once

#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/detail/loop_actor.hpp>
#include <troupe/actor/tell_status.hpp>

namespace troupe {

/// A handle to an actor written as a loop over its Mailbox<M> (see
/// ActorSystem::spawn_loop): it accepts messages of type M, by tell or
/// send. There is no ask: a loop has no handler to return a reply from
/// (put a reply channel or ref in the message instead).
///
/// A counted handle like ActorRef, with the same guarantees (per-sender
/// order, dead letters once stopped); thread-safe.
template <class M>
class Address {
 public:
  Address() noexcept = default;
  explicit Address(ActorRef<detail::LoopActor<M>> ref) noexcept : ref_(std::move(ref)) {}

  ActorId id() const noexcept { return ref_.id(); }
  explicit operator bool() const noexcept { return static_cast<bool>(ref_); }
  friend bool operator==(const Address&, const Address&) noexcept = default;

  TellStatus tell(M m) const { return ref_.tell(std::move(m)); }
  auto send(M m) const { return ref_.send(std::move(m)); }
  /// Stops the actor at once (the loop is cancelled where it waits).
  void stop() const noexcept { ref_.stop(); }
  /// Closes the mailbox: the loop's stream ends once it has read what is
  /// queued, and the actor stops when the loop returns.
  void stop_gracefully() const noexcept { ref_.stop_gracefully(); }

  /// The underlying ref (for monitor and link).
  const ActorRef<detail::LoopActor<M>>& ref() const noexcept { return ref_; }

 private:
  ActorRef<detail::LoopActor<M>> ref_;
};

}  // namespace troupe
