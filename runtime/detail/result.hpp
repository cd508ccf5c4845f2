#pragma once

#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace troupe::detail {

/// The outcome of a coroutine: nothing yet, a value, or an exception.
template <class T>
class Result {
 public:
  template <class U>
  void set_value(U&& v) {
    state_.template emplace<1>(std::forward<U>(v));
  }
  void set_exception(std::exception_ptr e) noexcept { state_.template emplace<2>(std::move(e)); }
  /// Moves `other`'s outcome in by construction, so that T only needs to be
  /// move-constructible (as for co_return), not move-assignable.
  void take_from(Result&& other) {
    switch (other.state_.index()) {
      case 1:
        state_.template emplace<1>(std::move(std::get<1>(other.state_)));
        break;
      case 2:
        state_.template emplace<2>(std::move(std::get<2>(other.state_)));
        break;
      default:
        state_.template emplace<0>();
        break;
    }
  }
  bool has_value() const noexcept { return state_.index() == 1; }
  bool empty() const noexcept { return state_.index() == 0; }
  std::exception_ptr exception() const noexcept {
    return state_.index() == 2 ? std::get<2>(state_) : nullptr;
  }
  /// Moves the value out, or rethrows the exception.
  T get() {
    if (state_.index() == 2) std::rethrow_exception(std::get<2>(state_));
    return std::move(std::get<1>(state_));
  }

 private:
  std::variant<std::monostate, T, std::exception_ptr> state_;
};

template <>
class Result<void> {
 public:
  void set_value() noexcept { done_ = true; }
  void set_exception(std::exception_ptr e) noexcept { error_ = std::move(e); }
  void take_from(Result&& other) noexcept {
    error_ = std::move(other.error_);
    done_ = other.done_;
  }
  bool has_value() const noexcept { return done_ && !error_; }
  bool empty() const noexcept { return !done_ && !error_; }
  std::exception_ptr exception() const noexcept { return error_; }
  void get() {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::exception_ptr error_;
  bool done_ = false;
};

}  // namespace troupe::detail
