#pragma once

#include <optional>
#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/actor/ask_future.hpp>
#include <troupe/proto/decode_result.hpp>
#include <troupe/proto/detail/dispatch_table.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/v1/envelope.pb.h>

namespace troupe::proto {

/// What a tell by envelope came to.
struct DynamicTellResult {
  /// Set when the envelope could not be decoded (unknown type, malformed,
  /// too large, too deep): nothing was sent; it counts as a dead letter.
  std::optional<DecodeError> error;
  /// Otherwise what became of the message, as for ActorRef::tell.
  TellStatus status = TellStatus::kQueued;
  explicit operator bool() const noexcept { return !error && status == TellStatus::kQueued; }
};

/// An untyped handle to an actor, for code that knows message types only
/// at run time: it takes envelopes (type name + bytes), decodes them with
/// the actor's dispatch table (see Messages) and delivers the typed message
/// to the handler, so the actor sees no difference. Bad bytes never reach
/// the actor: they come back as a DecodeError (tell) or AskError::kBadMessage
/// (ask), and count as dead letters.
///
/// Made from a typed ref to a local actor whose class lists its
/// `messages` (a ref to a remote actor gives an empty AnyRef: its node
/// decodes the envelopes). A counted handle like ActorRef (copies share
/// the actor); thread-safe.
class AnyRef {
 public:
  AnyRef() noexcept = default;
  template <class A>
  explicit AnyRef(const ActorRef<A>& ref) : table_(&detail::table_for<A>()) {
    if (auto* cell = ref.cell()) ref_ = troupe::detail::CellPtr(*cell);
  }
  /// The same for a loop actor over protobuf messages M (tells only).
  template <class M>
  explicit AnyRef(const Address<M>& address) : table_(&detail::loop_table_for<M>()) {
    if (auto* cell = address.handle().cell()) ref_ = troupe::detail::CellPtr(*cell);
  }

  ActorId id() const noexcept { return ref_ ? ref_->id() : 0; }
  explicit operator bool() const noexcept { return ref_ != nullptr; }
  /// The actor's cell if its class is A (this AnyRef was made from an
  /// ActorRef<A>), else null: what turns an address back into a typed ref.
  template <class A>
  troupe::detail::CellPtr cell_of() const {
    return table_ == &detail::table_for<A>() ? ref_ : troupe::detail::CellPtr();
  }
  /// The same for a loop actor over M.
  template <class M>
  troupe::detail::CellPtr loop_cell_of() const {
    return table_ == &detail::loop_table_for<M>() ? ref_ : troupe::detail::CellPtr();
  }
  /// Stops the actor at once (as ActorRef::stop).
  void stop() const noexcept { ref_->stop_now(ExitReason::stopped()); }
  /// The limits decoding applies to envelopes given to this ref.
  void set_limits(const DecodeLimits& limits) noexcept { limits_ = limits; }

  /// True if the actor has a handler for the protobuf type `type_name`.
  bool accepts(const std::string& type_name) const { return table_->contains(type_name); }

  /// Decodes `e` by its type name and tells the actor the message.
  /// `origin`: the node `e` came from (the remote module passes the peer
  /// it authenticated); it overwrites a message's `origin` field.
  DynamicTellResult tell(const v1::Envelope& e, const v1::Origin* origin = nullptr) const {
    auto it = table_->find(e.type_name());
    if (it == table_->end()) {
      detail::undecodable(*ref_, e);
      return {DecodeError::kUnknownType, TellStatus::kQueued};
    }
    auto r = it->second.tell(*ref_, e, limits_, origin);
    return {r.error, r.status};
  }

  /// Decodes `e` and asks: the reply comes as a REPLY envelope holding the
  /// handler's protobuf result (empty for a void handler), or as an
  /// AskError (kBadMessage for bytes that could not be decoded).
  AskFuture<v1::Envelope> ask(const v1::Envelope& e, std::optional<Duration> timeout = std::nullopt,
                              const v1::Origin* origin = nullptr) const {
    auto it = table_->find(e.type_name());
    if (it == table_->end()) {
      detail::undecodable(*ref_, e);
      return detail::failed_ask(timeout, DecodeError::kUnknownType,
                                "no handler for \"" + e.type_name() + "\"");
    }
    return it->second.ask(*ref_, e, limits_, timeout, origin);
  }

 private:
  troupe::detail::CellPtr ref_;
  const detail::DispatchTable* table_ = nullptr;
  DecodeLimits limits_;
};

}  // namespace troupe::proto
