#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <troupe/runtime/expected.hpp>

namespace troupe {

/// Why an ask got no reply.
enum class AskError {
  kTimeout,      // no reply before the deadline
  kDeadActor,    // the actor had stopped, or stopped before handling it
  kMailboxFull,  // a bounded mailbox refused it
  kFailed,       // the handler threw (the exception is in the result)
  kBadMessage,   // it came as bytes that could not be decoded (see cause())
  kUnreachable,  // (remote actors) its node is not connected, or the connection was lost
};

/// "timeout", "dead actor", "mailbox full", "handler failed", "bad message",
/// "unreachable".
const char* to_string(AskError e) noexcept;

/// The error of an AskResult: why there is no reply, and the exception
/// behind it if there is one (what the handler threw for kFailed; a
/// std::runtime_error saying what went wrong for kBadMessage and for remote
/// failures). A plain value.
struct AskFailure {
  AskError code = AskError::kTimeout;
  std::exception_ptr cause;
};

/// Thrown by AskResult::value() when there is no reply and no cause.
class AskFailed : public std::runtime_error {
 public:
  explicit AskFailed(AskError e)
      : std::runtime_error(std::string("troupe: ask failed: ") + to_string(e)), error_(e) {}
  AskError error() const noexcept { return error_; }

 private:
  AskError error_;
};

/// An AskResult's value() without a reply rethrows the cause (the
/// handler's exception, for kFailed), or throws AskFailed.
template <>
struct ErrorTraits<AskFailure> {
  [[noreturn]] static void raise(const AskFailure& f) {
    if (f.cause) std::rethrow_exception(f.cause);
    throw AskFailed(f.code);
  }
};

template <class T>
class AskResult;

namespace detail {
/// What an AskResult<T> takes as its reply: anything T is constructible
/// from, except AskResults.
template <class U, class T>
concept AskReplySource = !std::is_void_v<T> && std::is_constructible_v<T, U&&> &&
                         !std::is_same_v<std::remove_cvref_t<U>, AskResult<T>>;
}  // namespace detail

/// The outcome of an ask: the reply, or why there is none. An
/// Expected<T, AskFailure> (T may be void), with the accessors asks use:
/// error() is the AskError, cause() the exception behind it, failure() both.
/// value() is checked (see ErrorTraits<AskFailure>), `*r` and `r->` are not.
/// A plain value owned by the asker.
template <class T>
class [[nodiscard]] AskResult : public Expected<T, AskFailure> {
  using Base = Expected<T, AskFailure>;

 public:
  /// Done (AskResult<void>).
  AskResult() noexcept requires std::is_void_v<T> : Base() {}
  /// The reply.
  template <detail::AskReplySource<T> U = T>
  explicit AskResult(U&& value) : Base(std::in_place, std::forward<U>(value)) {}
  /// No reply.
  AskResult(Unexpected<AskFailure> failure) noexcept  // NOLINT(google-explicit-constructor)
      : Base(std::move(failure)) {}
  static AskResult error(AskError e, std::exception_ptr cause = nullptr) noexcept {
    return AskResult(Unexpected<AskFailure>(AskFailure{e, std::move(cause)}));
  }

  /// Why there is no reply. Precondition: !has_value().
  AskError error() const noexcept { return failure().code; }
  /// The exception behind the error, if any: for kFailed, what the handler
  /// threw. Null with a reply.
  const std::exception_ptr& cause() const noexcept {
    static const std::exception_ptr none;
    return this->has_value() ? none : failure().cause;
  }
  /// Both. Precondition: !has_value().
  const AskFailure& failure() const noexcept { return Base::error(); }
};

}  // namespace troupe
