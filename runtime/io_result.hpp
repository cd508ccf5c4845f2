#pragma once

#include <system_error>
#include <type_traits>
#include <utility>

#include <troupe/runtime/expected.hpp>

namespace troupe {

template <class T>
class IoResult;

namespace detail {
/// What an IoResult<T> accepts as a value: anything T is constructible from,
/// except error codes (those mean failure) and IoResults.
template <class U, class T>
concept IoValueSource = !std::is_void_v<T> && std::is_constructible_v<T, U&&> &&
                        !std::is_same_v<std::remove_cvref_t<U>, IoResult<T>> &&
                        !std::is_same_v<std::remove_cvref_t<U>, std::error_code> &&
                        !std::is_same_v<std::remove_cvref_t<U>, std::errc>;
}  // namespace detail

/// The outcome of an I/O operation: an Expected<T, std::error_code> (T may
/// be void), and the one error style of Troupe's I/O: operations never throw
/// for I/O failures, they return an IoResult. value() without a value throws
/// std::system_error with the code.
///
/// It adds to Expected what I/O code writes: `return value;`, `return ec;`
/// and `return std::errc::...;` all convert implicitly (for IoResult<void>
/// an empty code means success, so `return ec;` forwards either), and
/// error() is safe to call on success (the empty code).
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
class [[nodiscard]] IoResult : public Expected<T, std::error_code> {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, std::error_code>,
                "IoResult<T> holds a value type other than std::error_code");
  using Base = Expected<T, std::error_code>;

 public:
  /// Success (IoResult<void>).
  IoResult() noexcept requires std::is_void_v<T> : Base() {}
  /// Success. Implicit, so `return value;` works in a function returning one.
  template <detail::IoValueSource<T> U = T>
  IoResult(U&& value)  // NOLINT(google-explicit-constructor)
      : Base(std::in_place, std::forward<U>(value)) {}
  /// Failure; `error` must not be the empty (success) code, except for
  /// IoResult<void>, where it means success.
  IoResult(std::error_code error) noexcept  // NOLINT(google-explicit-constructor)
      : Base(from_code(error)) {}
  IoResult(std::errc error) noexcept  // NOLINT(google-explicit-constructor)
      : Base(unexpect, std::make_error_code(error)) {}

  /// The error; the empty code on success.
  std::error_code error() const noexcept {
    return this->has_value() ? std::error_code() : Base::error();
  }

 private:
  static Base from_code(std::error_code error) noexcept {
    if constexpr (std::is_void_v<T>) {
      if (!error) return Base();
    }
    return Base(unexpect, error);
  }
};

}  // namespace troupe
