#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/remote/detail/wire.hpp>
#include <troupe/v1/envelope.pb.h>

namespace troupe::remote::detail {

/// An ask sent to another node, waiting for its REPLY or FAILURE envelope:
/// the asker's AskFuture holds the other end of the reply slot. Owned by
/// its Peer's table of pending asks; completed or failed once, on any
/// thread. Dropped without either, it fails the ask with kDeadActor.
class PendingAsk {
 public:
  virtual ~PendingAsk() = default;
  /// Completes with the reply (REPLY) or the failure (FAILURE) in `e`.
  virtual void complete(const v1::Envelope& e, const proto::DecodeLimits& limits) noexcept = 0;
  virtual void fail(AskError error, const std::string& why) noexcept = 0;
};

template <class R>
class PendingAskOf final : public PendingAsk {
 public:
  explicit PendingAskOf(troupe::detail::ReplySlot<R>* slot) noexcept : reply_(slot) {}

  void complete(const v1::Envelope& e, const proto::DecodeLimits& limits) noexcept override {
    if (e.kind() == v1::Envelope::FAILURE) {
      auto failure = proto::decode<v1::AskFailure>(e, limits);
      if (!failure) return fail(AskError::kBadMessage, "undecodable failure: " + failure.detail());
      return fail(ask_error_of(failure->code()), failure->detail());
    }
    if constexpr (std::is_void_v<R>) {
      reply_.reply();
    } else {
      auto r = proto::decode<R>(e, limits);
      if (!r) {
        return fail(AskError::kBadMessage,
                    std::string(proto::to_string(r.error())) + ": " + r.detail());
      }
      reply_.reply(std::move(r).value());
    }
  }

  void fail(AskError error, const std::string& why) noexcept override {
    try {
      reply_.fail(error, std::make_exception_ptr(std::runtime_error("troupe: " + why)));
    } catch (...) {
      reply_.fail(error);
    }
  }

 private:
  troupe::detail::ReplySender<R> reply_;
};

}  // namespace troupe::remote::detail
