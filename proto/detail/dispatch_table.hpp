#pragma once

#include <concepts>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/ask_future.hpp>
#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/handler_traits.hpp>
#include <troupe/actor/detail/loop_envelope.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/proto/decode_result.hpp>
#include <troupe/proto/detail/dynamic_ask.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/v1/envelope.pb.h>

namespace troupe::proto::detail {

using troupe::detail::ActorCellBase;

/// What a dynamic tell came to: the tell's status, or the decode error.
struct DynamicTell {
  std::optional<DecodeError> error;  // set: not decoded (and a dead letter)
  TellStatus status = TellStatus::kQueued;
};

/// One accepted message type of an actor class: how to decode it from an
/// envelope and hand it to the actor.
struct DispatchEntry {
  DynamicTell (*tell)(ActorCellBase&, const v1::Envelope&, const DecodeLimits&, const v1::Origin*);
  AskFuture<v1::Envelope> (*ask)(ActorCellBase&, const v1::Envelope&, const DecodeLimits&,
                                 std::optional<Duration>, const v1::Origin*);
};

/// A message type with a field `troupe.v1.Origin origin`.
template <class M>
concept HasOrigin = requires(M& m) {
  { m.mutable_origin() } -> std::same_as<v1::Origin*>;
};

/// Decodes M from `e`; a known origin overwrites the message's own claim.
template <class M>
DecodeResult<M> decode_from(const v1::Envelope& e, const DecodeLimits& limits,
                            const v1::Origin* origin) {
  auto m = decode<M>(e, limits);
  if constexpr (HasOrigin<M>) {
    if (m && origin) *m->mutable_origin() = *origin;
  }
  return m;
}

/// Type name -> entry, for one actor class. Immutable once built;
/// thread-safe to read.
using DispatchTable = std::unordered_map<std::string, DispatchEntry>;

/// Reports an envelope that could not be decoded as a dead letter.
inline void undecodable(ActorCellBase& cell, const v1::Envelope& e) noexcept {
  cell.system().dead_letter(
      troupe::DeadLetter{cell.id(), e.type_name(), DeadLetterReason::kUndecodable});
}

inline AskFuture<v1::Envelope> failed_ask(std::optional<Duration> timeout, DecodeError error,
                                          const std::string& detail) {
  auto* slot = troupe::detail::ReplySlot<v1::Envelope>::make();
  slot->set_error(AskError::kBadMessage,
                  std::make_exception_ptr(std::invalid_argument(std::string("troupe: ") +
                                                                to_string(error) + ": " + detail)));
  slot->release();  // the actor's side, never used
  return AskFuture<v1::Envelope>(slot, timeout);
}

/// A tell by envelope: decodes M from `e` and tells `cell` an `Env` made
/// from it (the envelope type its kind of cell takes); bytes that do not
/// decode are a dead letter.
template <class M, class Env>
DynamicTell tell_decoded(ActorCellBase& cell, const v1::Envelope& e, const DecodeLimits& limits,
                         const v1::Origin* origin) {
  auto m = decode_from<M>(e, limits, origin);
  if (!m) {
    undecodable(cell, e);
    return DynamicTell{m.error(), TellStatus::kQueued};
  }
  return DynamicTell{std::nullopt, cell.tell(new Env(std::move(m).value()))};
}

template <class A, class M>
DispatchEntry entry_for() {
  static_assert(troupe::detail::Handles<A, M>,
                "a type in the actor's `messages` list has no handler: add `handle(const M&)`");
  DispatchEntry d;
  d.tell = &tell_decoded<M, troupe::detail::TellEnvelope<A, M>>;
  d.ask = [](ActorCellBase& cell, const v1::Envelope& e, const DecodeLimits& limits,
             std::optional<Duration> timeout, const v1::Origin* origin) {
    auto m = decode_from<M>(e, limits, origin);
    if (!m) {
      undecodable(cell, e);
      return failed_ask(timeout, m.error(), m.detail());
    }
    auto* slot = troupe::detail::ReplySlot<v1::Envelope>::make();
    (void)cell.tell(new DynamicAskEnvelope<A, M>(std::move(m).value(), slot));
    return AskFuture<v1::Envelope>(slot, timeout);
  };
  return d;
}

template <class A, class... Ms>
DispatchTable make_table(Messages<Ms...>) {
  DispatchTable t;
  (t.emplace(type_name<Ms>(), entry_for<A, Ms>()), ...);
  return t;
}

/// The table of actor class A, from its `messages` list (built once).
template <class A>
const DispatchTable& table_for() {
  static const DispatchTable table = make_table<A>(typename A::messages{});
  return table;
}

/// The table of a loop actor over Mailbox<M>: M, told (a loop takes no
/// asks: it has no handler to reply from).
template <class M>
const DispatchTable& loop_table_for() {
  static_assert(Message<M>, "only a loop over protobuf messages can be reached by envelope");
  static const DispatchTable table = [] {
    DispatchEntry d;
    d.tell = &tell_decoded<M, troupe::detail::LoopEnvelope<M>>;
    d.ask = [](ActorCellBase& cell, const v1::Envelope& e, const DecodeLimits&,
               std::optional<Duration> timeout, const v1::Origin*) {
      undecodable(cell, e);
      return failed_ask(timeout, DecodeError::kUnknownType,
                        "a loop actor takes no asks (" + e.type_name() + ")");
    };
    DispatchTable t;
    t.emplace(type_name<M>(), d);
    return t;
  }();
  return table;
}

}  // namespace troupe::proto::detail
