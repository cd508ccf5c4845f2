#pragma once

#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace troupe {

template <class T>
class IoResult;

namespace detail {
/// What an IoResult<T> accepts as a value: anything T is constructible from,
/// except error codes (those mean failure) and IoResults.
template <class U, class T>
concept IoValueSource =
    std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, IoResult<T>> &&
    !std::is_same_v<std::remove_cvref_t<U>, std::error_code> &&
    !std::is_same_v<std::remove_cvref_t<U>, std::errc>;
}  // namespace detail

/// The outcome of an I/O operation: a value, or the std::error_code saying
/// why there is none. A small stand-in for C++23's std::expected<T,
/// std::error_code>, and the one error style of Troupe's I/O: operations never
/// throw for I/O failures, they return an IoResult.
///
/// Error codes from the operating system are in std::system_category();
/// compare them portably with std::errc (`r.error() ==
/// std::errc::connection_refused`). Codes Troupe produces itself:
///   - std::errc::operation_not_supported: the socket is not registered with
///     a reactor yet, and the polling task's scheduler has none to register
///     it with (e.g. a TestExecutor);
///   - std::errc::operation_canceled: the runtime whose reactor the socket
///     was registered with has been destroyed;
///   - std::errc::invalid_argument: an unparsable address.
///
/// A plain value type: not thread-safe, like any value.
template <class T>
class [[nodiscard]] IoResult {
  static_assert(!std::is_reference_v<T> && !std::is_same_v<std::remove_cv_t<T>, std::error_code>,
                "IoResult<T> holds a value type other than std::error_code");

 public:
  using value_type = T;

  /// Success. Implicit, so `return value;` works in a function returning one.
  template <detail::IoValueSource<T> U = T>
  IoResult(U&& value)  // NOLINT(google-explicit-constructor)
      : state_(std::in_place_index<0>, std::forward<U>(value)) {}
  /// Failure; `error` must not be the empty (success) code.
  IoResult(std::error_code error) noexcept  // NOLINT(google-explicit-constructor)
      : state_(std::in_place_index<1>, error) {}
  IoResult(std::errc error) noexcept  // NOLINT(google-explicit-constructor)
      : IoResult(std::make_error_code(error)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  /// The error; the empty code on success.
  std::error_code error() const noexcept { return ok() ? std::error_code() : std::get<1>(state_); }

  /// The value; throws std::system_error with the error code on failure.
  T& value() & {
    check();
    return std::get<0>(state_);
  }
  const T& value() const& {
    check();
    return std::get<0>(state_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(state_));
  }
  /// The value, or `fallback` on failure.
  template <class U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  /// Unchecked access (like std::optional's): only when ok().
  T& operator*() & noexcept { return *std::get_if<0>(&state_); }
  const T& operator*() const& noexcept { return *std::get_if<0>(&state_); }
  T* operator->() noexcept { return std::get_if<0>(&state_); }
  const T* operator->() const noexcept { return std::get_if<0>(&state_); }

 private:
  void check() const {
    if (!ok()) throw std::system_error(std::get<1>(state_));
  }
  std::variant<T, std::error_code> state_;
};

/// IoResult of an operation that yields nothing but success or an error.
template <>
class [[nodiscard]] IoResult<void> {
 public:
  using value_type = void;

  IoResult() noexcept = default;
  /// An empty `error` means success, so `return ec;` forwards either.
  IoResult(std::error_code error) noexcept  // NOLINT(google-explicit-constructor)
      : error_(error) {}
  IoResult(std::errc error) noexcept  // NOLINT(google-explicit-constructor)
      : error_(std::make_error_code(error)) {}

  bool ok() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return ok(); }
  std::error_code error() const noexcept { return error_; }
  /// Throws std::system_error with the error code on failure.
  void value() const {
    if (error_) throw std::system_error(error_);
  }

 private:
  std::error_code error_;
};

}  // namespace troupe
