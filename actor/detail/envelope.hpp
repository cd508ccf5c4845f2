#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/detail/current_trace.hpp>
#include <troupe/actor/detail/handler_traits.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/channels/detail/mpsc_queue.hpp>
#include <troupe/runtime/detail/block_pool.hpp>
#include <troupe/runtime/task.hpp>

namespace google::protobuf {
class MessageLite;
}

namespace troupe::detail {

/// A protobuf-generated message type: the only kind that can cross to
/// another node. (MessageLite may be incomplete here: the actor module
/// does not depend on protobuf; a message type that derives from it
/// brings its definition.)
template <class M>
inline constexpr bool kIsWireMessage = std::is_base_of_v<google::protobuf::MessageLite, M>;

/// True if `List` (an actor's `messages`, e.g. proto::Messages<Ts...>)
/// names M: what the actor's node can decode by type name.
template <class List, class M>
struct ListsMessage : std::false_type {};
template <template <class...> class L, class... Ts, class M>
struct ListsMessage<L<Ts...>, M> : std::bool_constant<(std::is_same_v<Ts, M> || ...)> {};

template <class A, class M, class = void>
struct Lists : std::false_type {};
template <class A, class M>
struct Lists<A, M, std::void_t<typename A::messages>> : ListsMessage<typename A::messages, M> {};

/// True if a tell of M to an actor of class A can be sent to another node:
/// M is protobuf and A lists it in its `messages`.
template <class A, class M>
inline constexpr bool kCrossesNodes = kIsWireMessage<M>&& Lists<A, M>::value;

/// A reply that came from another node as bytes, waiting to be parsed into
/// the asker's reply type. Implemented by the remote module.
class WireReply {
 public:
  /// Parses the reply into `out`; false (and `why`) if it does not parse
  /// as that type or within the node's decode limits.
  virtual bool parse(google::protobuf::MessageLite& out, std::string& why) const = 0;

 protected:
  ~WireReply() = default;
};

/// One message in a mailbox: a heap node of the mailbox's MpscQueue that
/// owns the message (and, for an ask, the reply's sender). One allocation
/// per message, from the BlockPool (made by the sender's thread, freed by the
/// actor's); two for one sent under a trace (see trace()). Owned by whoever
/// holds it: the sender until the mailbox accepts it, then the mailbox, then
/// the actor while it runs the handler.
class EnvelopeBase : public MpscNode, public PooledObject {
 public:
  EnvelopeBase() = default;
  EnvelopeBase(const EnvelopeBase&) = delete;
  EnvelopeBase& operator=(const EnvelopeBase&) = delete;
  virtual ~EnvelopeBase() { delete trace_; }
  /// The sender's trace (its span is the parent of the handler's); null if
  /// it was sent untraced, as nearly every message is.
  const TraceContext* trace() const noexcept { return trace_ ? &trace_->context : nullptr; }
  /// Sent under a trace (see current_trace), the envelope keeps a copy of
  /// it; a second call keeps the first. Called where an envelope is offered
  /// to a mailbox (ActorCellBase::offer), out of line, so that the senders'
  /// inlined code does not grow by the check.
  void take_current_trace() noexcept {
    if (tls_trace != nullptr && trace_ == nullptr) [[unlikely]] {
      trace_ = capture_trace();
    }
  }
  /// The message's C++ type (for dead-letter reports).
  virtual const std::type_info& type() const noexcept = 0;
  /// It will not be delivered: an ask fails now with `e` and `cause`
  /// (without this, dropping it fails the ask with kDeadActor).
  virtual void refuse(AskError, std::exception_ptr = nullptr) noexcept {}

  // For an actor on another node (see RemoteTarget):
  /// The message, if it can cross to another node (protobuf, listed in the
  /// class's `messages`; for an ask, a protobuf or void reply too);
  /// nullptr if it can live in this process only.
  virtual const google::protobuf::MessageLite* wire_message() const noexcept { return nullptr; }
  /// An ask's reply came back from the other node: completes the ask with
  /// it, parsed into the reply type (kBadMessage if it does not parse).
  virtual void reply_from_wire(const WireReply&) noexcept {}

 private:
  EnvelopeTrace* trace_ = nullptr;  // owned; one pointer, so untraced messages stay small
};

/// A message for an actor of class A.
template <class A>
class Envelope : public EnvelopeBase {
 public:
  /// Runs A's handler. Returns an empty Task if it is done, or the Task
  /// that finishes it (a coroutine handler), which the actor drives before
  /// its next message. Throws what the handler threw.
  virtual Task<void> deliver(A& actor) = 0;
};

/// `ref.tell(m)`: the message, no reply.
template <class A, class M>
class TellEnvelope final : public Envelope<A> {
 public:
  explicit TellEnvelope(M&& m) : msg_(std::move(m)) {}
  const std::type_info& type() const noexcept override { return typeid(M); }
  const google::protobuf::MessageLite* wire_message() const noexcept override {
    if constexpr (kCrossesNodes<A, M>) {
      return &msg_;
    } else {
      return nullptr;
    }
  }
  /// The message, for a consumer that takes it out itself (Mailbox).
  M& message() noexcept { return msg_; }
  Task<void> deliver(A& actor) override {
    if constexpr (kHandlerIsTask<A, M>) {
      return run(actor, std::move(msg_));
    } else {
      (void)actor.handle(std::move(msg_));
      return {};
    }
  }

 private:
  // Owns the message for as long as the coroutine handler may use it.
  static Task<void> run(A& actor, M msg) { (void)co_await actor.handle(std::move(msg)); }
  M msg_;
};

/// `ref.ask(m)`: the message and where its handler's result goes.
template <class A, class M>
class AskEnvelope final : public Envelope<A> {
 public:
  using Reply = ReplyOf<A, M>;
  AskEnvelope(M&& m, ReplySlot<Reply>* slot) : msg_(std::move(m)), reply_(slot) {}
  const std::type_info& type() const noexcept override { return typeid(M); }
  void refuse(AskError e, std::exception_ptr cause) noexcept override {
    reply_.fail(e, std::move(cause));
  }
  const google::protobuf::MessageLite* wire_message() const noexcept override {
    if constexpr (kCrosses) {
      return &msg_;
    } else {
      return nullptr;
    }
  }
  void reply_from_wire(const WireReply& wire) noexcept override {
    if constexpr (kCrosses && std::is_void_v<Reply>) {
      reply_.reply();
    } else if constexpr (kCrosses) {
      try {
        Reply r;
        std::string why;
        if (!wire.parse(r, why)) {
          return reply_.fail(AskError::kBadMessage,
                             std::make_exception_ptr(std::runtime_error("troupe: " + why)));
        }
        reply_.reply(std::move(r));
      } catch (...) {
        reply_.fail(AskError::kBadMessage, std::current_exception());
      }
    }
  }
  Task<void> deliver(A& actor) override {
    if constexpr (kHandlerIsTask<A, M>) {
      return run(actor, std::move(msg_), std::move(reply_));
    } else {
      try {
        if constexpr (std::is_void_v<Reply>) {
          actor.handle(std::move(msg_));
          reply_.reply();
        } else {
          reply_.reply(actor.handle(std::move(msg_)));
        }
      } catch (...) {
        reply_.fail(AskError::kFailed, std::current_exception());
        throw;
      }
      return {};
    }
  }

 private:
  static constexpr bool kCrosses =
      kCrossesNodes<A, M> && (std::is_void_v<Reply> || kIsWireMessage<Reply>);

  static Task<void> run(A& actor, M msg, ReplySender<Reply> reply) {
    try {
      if constexpr (std::is_void_v<Reply>) {
        co_await actor.handle(std::move(msg));
        reply.reply();
      } else {
        reply.reply(co_await actor.handle(std::move(msg)));
      }
    } catch (...) {
      reply.fail(AskError::kFailed, std::current_exception());
      throw;
    }
  }
  M msg_;
  ReplySender<Reply> reply_;
};

}  // namespace troupe::detail
