#pragma once

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/remote/detail/wire.hpp>
#include <troupe/v1/envelope.pb.h>

namespace troupe::remote::detail {

/// An ask sent to another node, waiting for its REPLY or FAILURE envelope.
/// Owned by its Peer's table of pending asks; completed or failed once, on
/// any thread. Dropped without either, it fails the ask with kDeadActor.
class PendingAsk {
 public:
  virtual ~PendingAsk() = default;
  /// Completes with the reply (REPLY) or the failure (FAILURE) in `e`.
  void complete(const v1::Envelope& e, const proto::DecodeLimits& limits) noexcept {
    if (e.kind() != v1::Envelope::FAILURE) return reply(e, limits);
    auto failure = proto::decode<v1::AskFailure>(e, limits);
    if (!failure) return fail(AskError::kBadMessage, "undecodable failure: " + failure.detail());
    fail(ask_error_of(failure->code()), failure->detail());
  }
  virtual void fail(AskError error, const std::string& why) noexcept = 0;

 protected:
  /// A REPLY envelope: parse it into the asker's reply type.
  virtual void reply(const v1::Envelope& e, const proto::DecodeLimits& limits) noexcept = 0;
  static std::exception_ptr cause(const std::string& why) noexcept {
    try {
      return std::make_exception_ptr(std::runtime_error("troupe: " + why));
    } catch (...) {
      return nullptr;
    }
  }
};

/// The node's own ask (a lookup), whose reply of type R goes to a slot.
template <class R>
class PendingAskOf final : public PendingAsk {
 public:
  explicit PendingAskOf(troupe::detail::ReplySlot<R>* slot) noexcept : reply_(slot) {}
  void fail(AskError error, const std::string& why) noexcept override {
    reply_.fail(error, cause(why));
  }

 private:
  void reply(const v1::Envelope& e, const proto::DecodeLimits& limits) noexcept override {
    auto r = proto::decode<R>(e, limits);
    if (!r) {
      return fail(AskError::kBadMessage,
                  std::string(proto::to_string(r.error())) + ": " + r.detail());
    }
    reply_.reply(std::move(r).value());
  }
  troupe::detail::ReplySender<R> reply_;
};

/// An ask an ActorRef sent to an actor on another node: the envelope it
/// made (which holds the asker's reply slot) waits here for the reply.
class WireAsk final : public PendingAsk {
 public:
  explicit WireAsk(std::unique_ptr<troupe::detail::EnvelopeBase> e) noexcept
      : envelope_(std::move(e)) {}
  void fail(AskError error, const std::string& why) noexcept override {
    envelope_->refuse(error, cause(why));
  }

 private:
  // The reply's bytes, parsed on demand into the type the envelope knows.
  class Parser final : public troupe::detail::WireReply {
   public:
    Parser(const v1::Envelope& e, const proto::DecodeLimits& limits) : e_(e), limits_(limits) {}
    bool parse(google::protobuf::MessageLite& out, std::string& why) const override {
      if (e_.type_name() != out.GetTypeName()) {
        why = "expected a " + out.GetTypeName() + " reply, got \"" + e_.type_name() + "\"";
        return false;
      }
      auto parsed = proto::detail::parse_into(e_.payload(), out, limits_);
      if (!parsed) why = std::string(proto::to_string(parsed.error())) + ": " + parsed.detail();
      return static_cast<bool>(parsed);
    }

   private:
    const v1::Envelope& e_;
    const proto::DecodeLimits& limits_;
  };

  void reply(const v1::Envelope& e, const proto::DecodeLimits& limits) noexcept override {
    envelope_->reply_from_wire(Parser(e, limits));
  }
  std::unique_ptr<troupe::detail::EnvelopeBase> envelope_;
};

}  // namespace troupe::remote::detail
