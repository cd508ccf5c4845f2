#pragma once

#include <cassert>
#include <exception>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace troupe {

/// An error, wrapped so that it cannot be taken for a value: `return
/// unexpected(e);` in a function returning Expected<T, E> is a failure even
/// where T could be constructed from E. A plain value, like the E it holds.
template <class E>
class Unexpected {
  static_assert(std::is_object_v<E> && !std::is_array_v<E> && !std::is_const_v<E> &&
                    !std::is_volatile_v<E>,
                "Unexpected<E> holds a plain, non-const object type");

 public:
  constexpr explicit Unexpected(E error) noexcept(std::is_nothrow_move_constructible_v<E>)
      : error_(std::move(error)) {}

  constexpr E& error() & noexcept { return error_; }
  constexpr const E& error() const& noexcept { return error_; }
  constexpr E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};

/// `unexpected(e)`: the error `e` as an Unexpected<E>, E deduced.
template <class E>
constexpr Unexpected<std::decay_t<E>> unexpected(E&& error) {
  return Unexpected<std::decay_t<E>>(std::forward<E>(error));
}

/// The tag of Expected's constructor that builds the error in place:
/// `Expected<T, E>(unexpect, args...)`.
struct UnexpectT {
  explicit UnexpectT() = default;
};
inline constexpr UnexpectT unexpect{};

/// What Expected<T, E>::value() throws for an error type that does not say
/// otherwise (see ErrorTraits): a copy of the error.
template <class E>
class BadExpectedAccess : public std::exception {
 public:
  explicit BadExpectedAccess(E error) : error_(std::move(error)) {}
  const char* what() const noexcept override { return "troupe: Expected has no value"; }
  const E& error() const noexcept { return error_; }

 private:
  E error_;
};

/// The customization point of Expected<T, E>: `raise(error)` throws what
/// value() throws when there is no value. Specialize it for an error type,
/// next to the type (before any Expected of it is used), so that each error
/// type throws its own exception: IoResult's std::system_error, AskResult's
/// AskFailed (or the handler's own exception), DecodeResult's DecodeFailed.
/// A traits struct rather than a function found by ADL because error types
/// from namespace std (std::error_code) cannot get new functions there.
template <class E>
struct ErrorTraits {
  [[noreturn]] static void raise(const E& error) { throw BadExpectedAccess<E>(error); }
};

/// std::error_code: throws std::system_error, as the standard library does.
template <>
struct ErrorTraits<std::error_code> {
  [[noreturn]] static void raise(const std::error_code& error) { throw std::system_error(error); }
};

template <class T, class E>
class Expected;

namespace detail {
template <class X>
inline constexpr bool kIsUnexpected = false;
template <class E>
inline constexpr bool kIsUnexpected<Unexpected<E>> = true;

/// What Expected<T, E>'s converting constructor takes as a value: anything
/// T is constructible from, except tags, Unexpecteds and Expecteds (and
/// classes derived from them, such as IoResult).
template <class U, class T, class E>
concept ExpectedValueSource =
    std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, std::in_place_t> &&
    !std::is_same_v<std::remove_cvref_t<U>, UnexpectT> && !kIsUnexpected<std::remove_cvref_t<U>> &&
    !std::is_base_of_v<Expected<T, E>, std::remove_cvref_t<U>>;
}  // namespace detail

/// A value of type T, or the error of type E saying why there is none: the
/// vocabulary of C++23's std::expected, for C++20, and the one result type
/// of Troupe (IoResult, AskResult, DecodeResult and LookupResult are thin
/// classes on it). Accessors, as std::expected's:
///   - has_value(), explicit operator bool;
///   - value(): checked; without a value it throws ErrorTraits<E>::raise's
///     exception (see ErrorTraits);
///   - error(): the error; precondition !has_value();
///   - value_or(fallback);
///   - *r and r->: unchecked; precondition has_value() (asserted in debug
///     builds).
/// T may be void (success or an error). Owns its value or error. A plain
/// value type: as thread-safe as T and E (not at all for writes).
template <class T, class E>
class [[nodiscard]] Expected {
  static_assert(std::is_object_v<T> && !std::is_array_v<T> &&
                    !std::is_same_v<std::remove_cv_t<T>, UnexpectT> &&
                    !std::is_same_v<std::remove_cv_t<T>, std::in_place_t> &&
                    !detail::kIsUnexpected<std::remove_cv_t<T>>,
                "Expected<T, E> holds a plain object type (or void)");
  static_assert(std::is_object_v<E> && !std::is_array_v<E> && !std::is_const_v<E> &&
                    !detail::kIsUnexpected<E>,
                "Expected<T, E>'s error is a plain, non-const object type");

 public:
  using value_type = T;
  using error_type = E;

  /// A value-initialized T.
  constexpr Expected() requires std::is_default_constructible_v<T>
      : state_(std::in_place_index<0>) {}
  /// A value; implicit where U converts to T, so `return value;` works.
  template <class U = T>
  requires detail::ExpectedValueSource<U, T, E>
  constexpr explicit(!std::is_convertible_v<U&&, T>) Expected(U&& value)
      : state_(std::in_place_index<0>, std::forward<U>(value)) {}
  /// A value built in place from `args`.
  template <class... Args>
  requires std::is_constructible_v<T, Args&&...>
  constexpr explicit Expected(std::in_place_t, Args&&... args)
      : state_(std::in_place_index<0>, std::forward<Args>(args)...) {}
  /// An error: `return unexpected(e);`.
  template <class G>
  requires std::is_constructible_v<E, const G&>
  constexpr explicit(!std::is_convertible_v<const G&, E>) Expected(const Unexpected<G>& error)
      : state_(std::in_place_index<1>, error.error()) {}
  template <class G>
  requires std::is_constructible_v<E, G&&>
  constexpr explicit(!std::is_convertible_v<G&&, E>) Expected(Unexpected<G>&& error)
      : state_(std::in_place_index<1>, std::move(error).error()) {}
  /// An error built in place from `args`.
  template <class... Args>
  requires std::is_constructible_v<E, Args&&...>
  constexpr explicit Expected(UnexpectT, Args&&... args)
      : state_(std::in_place_index<1>, std::forward<Args>(args)...) {}

  constexpr bool has_value() const noexcept { return state_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  /// The value; without one, throws what ErrorTraits<E>::raise throws.
  constexpr T& value() & {
    check();
    return *std::get_if<0>(&state_);
  }
  constexpr const T& value() const& {
    check();
    return *std::get_if<0>(&state_);
  }
  constexpr T&& value() && {
    check();
    return std::move(*std::get_if<0>(&state_));
  }

  /// The error. Precondition: !has_value().
  constexpr E& error() & noexcept { return *error_ptr(); }
  constexpr const E& error() const& noexcept { return *error_ptr(); }
  constexpr E&& error() && noexcept { return std::move(*error_ptr()); }

  /// The value, or `fallback` converted to T.
  template <class U>
  constexpr T value_or(U&& fallback) const& {
    static_assert(std::is_copy_constructible_v<T> && std::is_convertible_v<U&&, T>);
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  constexpr T value_or(U&& fallback) && {
    static_assert(std::is_move_constructible_v<T> && std::is_convertible_v<U&&, T>);
    return has_value() ? std::move(**this) : static_cast<T>(std::forward<U>(fallback));
  }

  /// Unchecked access. Precondition: has_value().
  constexpr T& operator*() & noexcept { return *value_ptr(); }
  constexpr const T& operator*() const& noexcept { return *value_ptr(); }
  constexpr T&& operator*() && noexcept { return std::move(*value_ptr()); }
  constexpr const T&& operator*() const&& noexcept { return std::move(*value_ptr()); }
  constexpr T* operator->() noexcept { return value_ptr(); }
  constexpr const T* operator->() const noexcept { return value_ptr(); }

 private:
  constexpr void check() const {
    if (!has_value()) ErrorTraits<E>::raise(*std::get_if<1>(&state_));
  }
  constexpr T* value_ptr() noexcept {
    assert(has_value() && "Expected: * or -> without a value");
    return std::get_if<0>(&state_);
  }
  constexpr const T* value_ptr() const noexcept {
    assert(has_value() && "Expected: * or -> without a value");
    return std::get_if<0>(&state_);
  }
  constexpr E* error_ptr() noexcept {
    assert(!has_value() && "Expected: error() with a value");
    return std::get_if<1>(&state_);
  }
  constexpr const E* error_ptr() const noexcept {
    assert(!has_value() && "Expected: error() with a value");
    return std::get_if<1>(&state_);
  }

  std::variant<T, E> state_;
};

/// Expected<void, E>: success, or the error saying why not.
template <class E>
class [[nodiscard]] Expected<void, E> {
  static_assert(std::is_object_v<E> && !std::is_array_v<E> && !std::is_const_v<E> &&
                    !detail::kIsUnexpected<E>,
                "Expected<void, E>'s error is a plain, non-const object type");

 public:
  using value_type = void;
  using error_type = E;

  /// Success.
  constexpr Expected() noexcept = default;
  constexpr explicit Expected(std::in_place_t) noexcept {}
  /// An error: `return unexpected(e);`.
  template <class G>
  requires std::is_constructible_v<E, const G&>
  constexpr explicit(!std::is_convertible_v<const G&, E>) Expected(const Unexpected<G>& error)
      : error_(std::in_place, error.error()) {}
  template <class G>
  requires std::is_constructible_v<E, G&&>
  constexpr explicit(!std::is_convertible_v<G&&, E>) Expected(Unexpected<G>&& error)
      : error_(std::in_place, std::move(error).error()) {}
  template <class... Args>
  requires std::is_constructible_v<E, Args&&...>
  constexpr explicit Expected(UnexpectT, Args&&... args)
      : error_(std::in_place, std::forward<Args>(args)...) {}

  constexpr bool has_value() const noexcept { return !error_.has_value(); }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  /// Nothing; with an error, throws what ErrorTraits<E>::raise throws.
  constexpr void value() const {
    if (error_) ErrorTraits<E>::raise(*error_);
  }
  /// The error. Precondition: !has_value().
  constexpr E& error() & noexcept { return *error_ptr(); }
  constexpr const E& error() const& noexcept { return *error_ptr(); }
  constexpr E&& error() && noexcept { return std::move(*error_ptr()); }

  /// Unchecked (does nothing). Precondition: has_value().
  constexpr void operator*() const noexcept { assert(has_value()); }

 private:
  constexpr E* error_ptr() noexcept {
    assert(!has_value() && "Expected: error() with a value");
    return &*error_;
  }
  constexpr const E* error_ptr() const noexcept {
    assert(!has_value() && "Expected: error() with a value");
    return &*error_;
  }

  std::optional<E> error_;
};

}  // namespace troupe
