#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

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

/// Thrown by AskResult::value() when there is no reply.
class AskFailed : public std::runtime_error {
 public:
  explicit AskFailed(AskError e)
      : std::runtime_error(std::string("troupe: ask failed: ") + to_string(e)), error_(e) {}
  AskError error() const noexcept { return error_; }

 private:
  AskError error_;
};

/// The outcome of an ask: the reply, or why there is none. Like a
/// `std::expected<T, AskError>`. A plain value owned by the asker.
template <class T>
class [[nodiscard]] AskResult {
 public:
  explicit AskResult(T value) : value_(std::move(value)) {}
  static AskResult error(AskError e, std::exception_ptr cause = nullptr) noexcept {
    AskResult r;
    r.error_ = e;
    r.cause_ = std::move(cause);
    return r;
  }

  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  /// The error; only when `!has_value()`.
  AskError error() const noexcept { return error_; }
  /// For kFailed: what the handler threw.
  const std::exception_ptr& cause() const noexcept { return cause_; }

  /// The reply. Without one: rethrows the handler's exception (kFailed) or
  /// throws AskFailed.
  T& value() & {
    check();
    return *value_;
  }
  T&& value() && {
    check();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }

 private:
  AskResult() noexcept = default;
  void check() const {
    if (value_) return;
    if (cause_) std::rethrow_exception(cause_);
    throw AskFailed(error_);
  }
  std::optional<T> value_;
  AskError error_ = AskError::kTimeout;
  std::exception_ptr cause_;
};

/// The outcome of an ask whose handler returns nothing: done, or why not.
template <>
class [[nodiscard]] AskResult<void> {
 public:
  AskResult() noexcept = default;
  static AskResult error(AskError e, std::exception_ptr cause = nullptr) noexcept {
    AskResult r;
    r.failed_ = true;
    r.error_ = e;
    r.cause_ = std::move(cause);
    return r;
  }
  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  AskError error() const noexcept { return error_; }
  const std::exception_ptr& cause() const noexcept { return cause_; }
  void value() const {
    if (!failed_) return;
    if (cause_) std::rethrow_exception(cause_);
    throw AskFailed(error_);
  }

 private:
  bool failed_ = false;
  AskError error_ = AskError::kTimeout;
  std::exception_ptr cause_;
};

}  // namespace troupe
