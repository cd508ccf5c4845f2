#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/runtime/expected.hpp>

namespace troupe::remote {

/// Why Node::lookup<A> gave no ref.
enum class LookupError {
  kUnreachable,  // no connection to the node within the timeout, or it was lost
  kNotFound,     // nothing is published under that name there
  kWrongType,    // the actor there lacks a handler for a type in A's `messages`
  kTimeout,      // connected, but no reply within the timeout
  kBadReply,     // the node's answer made no sense (undecodable, or a failure it should not give)
};

/// "unreachable", "not found", "wrong type", "timeout", "bad reply".
constexpr const char* to_string(LookupError e) noexcept {
  switch (e) {
    case LookupError::kUnreachable:
      return "unreachable";
    case LookupError::kNotFound:
      return "not found";
    case LookupError::kWrongType:
      return "wrong type";
    case LookupError::kTimeout:
      return "timeout";
    case LookupError::kBadReply:
      return "bad reply";
  }
  return "unknown";
}

/// The error of a LookupResult: what went wrong, and a sentence saying it
/// with the node and name involved ("nothing is published as \"bank\" on
/// 10.0.0.2:7001"). A plain value.
struct LookupFailure {
  LookupError code = LookupError::kNotFound;
  std::string detail;
};

/// Thrown by LookupResult::value() when there is no ref.
class LookupFailed : public std::runtime_error {
 public:
  explicit LookupFailed(const LookupFailure& f)
      : std::runtime_error(std::string("troupe: lookup failed: ") + to_string(f.code) + ": " +
                           f.detail),
        error_(f.code) {}
  LookupError error() const noexcept { return error_; }

 private:
  LookupError error_;
};

}  // namespace troupe::remote

namespace troupe {
/// LookupResult's value() without a ref throws remote::LookupFailed.
template <>
struct ErrorTraits<remote::LookupFailure> {
  [[noreturn]] static void raise(const remote::LookupFailure& f) { throw remote::LookupFailed(f); }
};
}  // namespace troupe

namespace troupe::remote {

/// What Node::lookup gives: a handle H to the actor (ActorRef<A>, or
/// Address<M> for a loop actor), or why not. An Expected<H, LookupFailure>,
/// with error() the LookupError and detail() the sentence. value() is
/// checked (throws LookupFailed), `*r` and `r->` are not. A plain value
/// owned by the caller.
template <class H>
class [[nodiscard]] LookupResultOf : public Expected<H, LookupFailure> {
  using Base = Expected<H, LookupFailure>;

 public:
  explicit LookupResultOf(H handle) : Base(std::in_place, std::move(handle)) {}
  LookupResultOf(LookupError e, std::string detail)
      : Base(unexpect, LookupFailure{e, std::move(detail)}) {}
  LookupResultOf(Unexpected<LookupFailure> failure)  // NOLINT(google-explicit-constructor)
      : Base(std::move(failure)) {}

  /// What went wrong. Precondition: !has_value().
  LookupError error() const noexcept { return failure().code; }
  /// The sentence saying it. Precondition: !has_value().
  const std::string& detail() const noexcept { return failure().detail; }
  /// Both. Precondition: !has_value().
  const LookupFailure& failure() const noexcept { return Base::error(); }
};

/// What Node::lookup<A> gives.
template <class A>
using LookupResult = LookupResultOf<ActorRef<A>>;

}  // namespace troupe::remote
