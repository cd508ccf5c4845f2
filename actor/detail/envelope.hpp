#pragma once

#include <exception>
#include <typeinfo>
#include <utility>

#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/detail/handler_traits.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/channels/detail/mpsc_queue.hpp>
#include <troupe/runtime/detail/block_pool.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::detail {

/// One message in a mailbox: a heap node of the mailbox's MpscQueue that
/// owns the message (and, for an ask, the reply's sender). One allocation
/// per message, from the BlockPool (made by the sender's thread, freed by the
/// actor's). Owned by whoever holds it: the sender until the mailbox accepts
/// it, then the mailbox, then the actor while it runs the handler.
class EnvelopeBase : public MpscNode, public PooledObject {
 public:
  EnvelopeBase() = default;
  EnvelopeBase(const EnvelopeBase&) = delete;
  EnvelopeBase& operator=(const EnvelopeBase&) = delete;
  virtual ~EnvelopeBase() = default;
  /// The message's C++ type (for dead-letter reports).
  virtual const std::type_info& type() const noexcept = 0;
  /// It will not be delivered: an ask fails now with `e` (without this,
  /// dropping it fails the ask with kDeadActor).
  virtual void refuse(AskError) noexcept {}
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
  void refuse(AskError e) noexcept override { reply_.fail(e); }
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
