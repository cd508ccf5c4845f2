#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/detail/actor_handle.hpp>
#include <troupe/actor/detail/loop_envelope.hpp>
#include <troupe/actor/detail/send_to_actor.hpp>
#include <troupe/actor/tell_status.hpp>

namespace troupe {

/// A handle to an actor written as a loop over its Mailbox<M> (see
/// ActorSystem::spawn_loop), wherever it lives: spawned here, or on another
/// node (remote::Node::address, lookup_address). It takes messages of type
/// M, by tell or send. There is no ask: a loop has no handler to return a
/// reply from (put a reply channel or ref in the message instead).
///
/// To a loop actor on another node, M must be a protobuf message (else
/// every message is a dead letter with DeadLetterReason::kLocalOnly).
/// A counted handle like ActorRef, with the same guarantees (per-sender
/// order, dead letters once stopped); thread-safe.
template <class M>
class Address {
 public:
  Address() noexcept = default;
  /// The address of a loop actor's cell, or of one on another node (made
  /// by spawn_loop, the registry and the remote module).
  explicit Address(detail::ActorHandle handle) noexcept : handle_(std::move(handle)) {}

  ActorId id() const noexcept { return handle_.id(); }
  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }
  /// See ActorRef: where the actor lives (empty and 0 for this process).
  bool is_remote() const noexcept { return handle_.is_remote(); }
  std::string_view node() const noexcept { return handle_.node(); }
  std::uint64_t incarnation() const noexcept { return handle_.incarnation(); }
  friend bool operator==(const Address&, const Address&) noexcept = default;

  TellStatus tell(M m) const { return handle_.tell(new detail::LoopEnvelope<M>(std::move(m))); }
  /// `co_await send(m)`: tell, waiting for room (see ActorRef::send).
  detail::SendToActor send(M m) const {
    return handle_.send(new detail::LoopEnvelope<M>(std::move(m)));
  }
  /// Stops the actor at once (the loop is cancelled where it waits).
  void stop() const noexcept { handle_.stop(); }
  /// Closes the mailbox: the loop's stream ends once it has read what is
  /// queued, and the actor stops when the loop returns.
  void stop_gracefully() const noexcept { handle_.stop_gracefully(); }

  /// The untyped handle (for monitor, link, the registry, publishing).
  const detail::ActorHandle& handle() const noexcept { return handle_; }

 private:
  detail::ActorHandle handle_;
};

}  // namespace troupe
