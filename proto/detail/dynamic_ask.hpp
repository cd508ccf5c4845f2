#pragma once

#include <exception>
#include <stdexcept>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/handler_traits.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/v1/envelope.pb.h>

namespace troupe::proto::detail {

using troupe::detail::Envelope;
using troupe::detail::ReplySender;
using troupe::detail::ReplySlot;

/// The handler's result as a REPLY envelope: a protobuf message is encoded,
/// nothing (void) is an empty REPLY.
template <class R>
v1::Envelope reply_envelope(R* result) {
  if constexpr (std::is_void_v<R>) {
    v1::Envelope e;
    e.set_kind(v1::Envelope::REPLY);
    return e;
  } else {
    static_assert(Message<R>,
                  "an ask by envelope needs a handler that returns a protobuf message (or void)");
    return encode(*result, v1::Envelope::REPLY);
  }
}

/// An ask that arrived as an envelope and was decoded into M: runs A's
/// handler like a typed ask, and replies with an envelope.
template <class A, class M>
class DynamicAskEnvelope final : public Envelope<A> {
 public:
  using Reply = troupe::detail::ReplyOf<A, M>;
  DynamicAskEnvelope(M&& m, ReplySlot<v1::Envelope>* slot) : msg_(std::move(m)), reply_(slot) {}
  const std::type_info& type() const noexcept override { return typeid(M); }
  void refuse(AskError e, std::exception_ptr cause) noexcept override {
    reply_.fail(e, std::move(cause));
  }
  Task<void> deliver(A& actor) override {
    if constexpr (troupe::detail::kHandlerIsTask<A, M>) {
      return run(actor, std::move(msg_), std::move(reply_));
    } else {
      try {
        if constexpr (std::is_void_v<Reply>) {
          actor.handle(std::move(msg_));
          reply_.reply(reply_envelope<void>(nullptr));
        } else {
          Reply r = actor.handle(std::move(msg_));
          reply_.reply(reply_envelope(&r));
        }
      } catch (...) {
        reply_.fail(AskError::kFailed, std::current_exception());
        throw;
      }
      return {};
    }
  }

 private:
  static Task<void> run(A& actor, M msg, ReplySender<v1::Envelope> reply) {
    try {
      if constexpr (std::is_void_v<Reply>) {
        co_await actor.handle(std::move(msg));
        reply.reply(reply_envelope<void>(nullptr));
      } else {
        Reply r = co_await actor.handle(std::move(msg));
        reply.reply(reply_envelope(&r));
      }
    } catch (...) {
      reply.fail(AskError::kFailed, std::current_exception());
      throw;
    }
  }
  M msg_;
  ReplySender<v1::Envelope> reply_;
};

}  // namespace troupe::proto::detail
