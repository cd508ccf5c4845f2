#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/spawn_options.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/channels/channel.hpp>
#include <troupe/runtime/task.hpp>

#include "params.hpp"

// What the actor cases share: how the driver (the main thread) learns that
// the actors are done, and how it makes sure they exist before the clock
// starts.
namespace troupe::bench {

/// The ActorSystem settings every actor case uses: `workers` worker threads.
inline ActorSystemOptions actor_system_options(const Params& p) { return {.workers = p.workers()}; }

/// The receivers' mailboxes in the cases with many messages in flight
/// (fan_in, fork_join): `mailbox=N` bounds them to N with backpressure, so
/// that senders wait for room (`co_await ref.send(m)`) instead of running
/// ahead into memory, as the Go peer's buffered channels make them;
/// `mailbox=0` leaves them unbounded.
inline SpawnOptions receiver_options(const Params& p) {
  SpawnOptions o;
  if (const std::int64_t capacity = p.get("mailbox"); capacity > 0) {
    o.mailbox = MailboxOptions::bounded(static_cast<std::size_t>(capacity));
  }
  return o;
}

/// One value, sent once by the actor that finishes the work and awaited by
/// the driver thread. A channel rather than an ask: a handler's reply is
/// its return value, and the actor that finishes the work learns so in a
/// later handler than the one the driver's message started. The driver
/// blocks outside the runtime (like CAF's scoped_actor), so both workers
/// stay with the actors.
template <class T>
class Completion {
 public:
  /// For the actor that finishes: try_send never blocks its worker, and the
  /// channel has room for the one value.
  const Sender<T>& sender() const noexcept { return ends_.first; }

  /// Blocks the calling (non-worker) thread until the value comes.
  T wait() const {
    std::optional<T> v = ends_.second.recv_blocking();
    if (!v) throw std::runtime_error("the completion channel closed without a value");
    return std::move(*v);
  }

 private:
  std::pair<Sender<T>, Receiver<T>> ends_ = channel::bounded<T>(1);
};

/// Sends `v` through a completion's Sender from an actor's handler.
template <class T>
void complete(const Sender<T>& tx, T v) {
  if (!tx.try_send(std::move(v))) throw std::runtime_error("completion sent twice");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void refused_tell() {
  throw std::runtime_error("a tell was refused");
}

/// A tell that must not be refused: every case counts on each message
/// arriving, so a refused one fails the sending actor (reported on stderr)
/// instead of vanishing as a dead letter. Inlined, so that it costs what
/// the tell written in the handler would (the check's throw is out of line).
template <class A, class M>
[[gnu::always_inline]] inline void tell_or_throw(const ActorRef<A>& to, M&& m) {
  if (to.tell(std::forward<M>(m)) != TellStatus::kQueued) [[unlikely]] {
    refused_tell();
  }
}

/// The question every actor of these cases answers once it is constructed
/// (`bool handle(const Ready&)`): the driver asks it of all of them before
/// taking the start time, so that no actor is still being built when the
/// clock runs.
struct Ready {};

/// The task behind ask_all: every ask is sent before the first is awaited.
template <class A, class M>
Task<void> ask_each(std::vector<ActorRef<A>> refs, std::vector<M> messages) {
  std::vector<decltype(refs.front().ask(std::move(messages.front())))> asks;
  asks.reserve(refs.size());
  for (std::size_t i = 0; i < refs.size(); ++i) asks.push_back(refs[i].ask(std::move(messages[i])));
  for (auto& f : asks) {
    auto reply = co_await f;
    reply.value();  // throws if the actor failed or is gone
  }
}

/// Asks refs[i] messages[i] for every i, all at once, and waits for every
/// reply from the calling (non-worker) thread; throws if one fails.
template <class A, class M>
void ask_all(ActorSystem& system, std::vector<ActorRef<A>> refs, std::vector<M> messages) {
  system.block_on(ask_each(std::move(refs), std::move(messages)));
}

/// Asks every actor of `refs` whether it is ready, and waits for all.
template <class A>
void wait_ready(ActorSystem& system, const std::vector<ActorRef<A>>& refs) {
  ask_all(system, refs, std::vector<Ready>(refs.size()));
}

}  // namespace troupe::bench
