#pragma once

#include <typeinfo>
#include <utility>

#include <troupe/actor/detail/envelope.hpp>

namespace troupe::detail {

/// A message for an actor written as a loop (see LoopCell): the message
/// alone, since nothing is dispatched to a handler. Made by Address<M>
/// (or, for a message from another node, by the loop's dispatch table);
/// owned like any envelope.
template <class M>
class LoopEnvelope final : public EnvelopeBase {
 public:
  explicit LoopEnvelope(M&& m) : msg_(std::move(m)) {}
  const std::type_info& type() const noexcept override { return typeid(M); }
  const google::protobuf::MessageLite* wire_message() const noexcept override {
    if constexpr (kIsWireMessage<M>) {
      return &msg_;
    } else {
      return nullptr;
    }
  }
  M& message() noexcept { return msg_; }

 private:
  M msg_;
};

}  // namespace troupe::detail
