#pragma once

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe {

/// Thrown by TimeoutResult::value() when the operation timed out.
class TimedOut : public std::runtime_error {
 public:
  TimedOut() : std::runtime_error("troupe: the operation timed out") {}
};

/// The outcome of `timeout`: the task's value, or "timed out". Like a
/// `std::expected<T, Elapsed>`; a plain value type owned by whoever holds it
/// (no internal synchronization, like any value).
/// (A failure of the task is not stored here: its exception propagates out
/// of the `co_await timeout(...)`.)
template <class T>
class [[nodiscard]] TimeoutResult {
 public:
  explicit TimeoutResult(T value) : value_(std::move(value)) {}
  /// A result that says the deadline passed first.
  static TimeoutResult elapsed() noexcept { return TimeoutResult(); }

  bool timed_out() const noexcept { return !value_.has_value(); }
  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws TimedOut if the deadline passed first.
  T& value() & {
    check();
    return *value_;
  }
  const T& value() const& {
    check();
    return *value_;
  }
  T&& value() && {
    check();
    return std::move(*value_);
  }
  template <class U>
  T value_or(U&& fallback) const& {
    return value_ ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  T value_or(U&& fallback) && {
    return value_ ? std::move(*value_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  TimeoutResult() noexcept = default;
  void check() const {
    if (!value_) throw TimedOut();
  }
  std::optional<T> value_;
};

/// The outcome of a `timeout` on a Task<void>: completed or timed out.
template <>
class [[nodiscard]] TimeoutResult<void> {
 public:
  /// A completed result.
  TimeoutResult() noexcept = default;
  /// A result that says the deadline passed first.
  static TimeoutResult elapsed() noexcept {
    TimeoutResult r;
    r.timed_out_ = true;
    return r;
  }

  bool timed_out() const noexcept { return timed_out_; }
  bool has_value() const noexcept { return !timed_out_; }
  explicit operator bool() const noexcept { return has_value(); }
  /// Throws TimedOut if the deadline passed first.
  void value() const {
    if (timed_out_) throw TimedOut();
  }

 private:
  bool timed_out_ = false;
};

namespace detail {

template <class T>
Task<TimeoutResult<T>> race_deadline(Sleep deadline, Task<T> task) {
  auto r = co_await select(std::move(task), std::move(deadline));
  if (r.index() == 1) co_return TimeoutResult<T>::elapsed();
  if constexpr (std::is_void_v<T>) {
    co_return TimeoutResult<void>();
  } else {
    co_return TimeoutResult<T>(std::move(std::get<0>(r)));
  }
}

}  // namespace detail

/// Runs `task` with a time limit of `d`, counted from when the returned Task
/// starts running. `task` runs in place, inside the task that awaits the
/// timeout (it is an arm of `select`, polled before the deadline): if it is
/// ready when the waiter looks, its value wins, even at a deadline that has
/// just passed. Otherwise, once the deadline passes, `task`'s frames are
/// destroyed on the spot and the result says timed_out(). If `task` fails,
/// its exception propagates. Cancelling the timeout Task destroys `task`
/// too.
template <class T>
Task<TimeoutResult<T>> timeout(Duration d, Task<T> task) {
  return detail::race_deadline(sleep_for(d), std::move(task));
}

/// Like `timeout`, with an absolute deadline.
template <class T>
Task<TimeoutResult<T>> timeout_at(Instant deadline, Task<T> task) {
  return detail::race_deadline(sleep_until(deadline), std::move(task));
}

}  // namespace troupe
