#pragma once

#include <optional>
#include <utility>

namespace troupe {

/// What one `poll_next` of a stream found: an item, the end of the stream,
/// or nothing yet (pending: the polling task's Waker is registered and will
/// fire once the stream can make progress).
///
/// A plain value owned by the caller; not thread-safe.
template <class T>
class [[nodiscard]] StreamPoll {
 public:
  static StreamPoll pending() noexcept { return StreamPoll(State::kPending); }
  static StreamPoll end() noexcept { return StreamPoll(State::kEnd); }
  static StreamPoll item(T value) { return StreamPoll(std::move(value)); }

  bool is_pending() const noexcept { return state_ == State::kPending; }
  bool is_end() const noexcept { return state_ == State::kEnd; }
  bool is_item() const noexcept { return state_ == State::kItem; }
  /// Ready: an item or the end.
  bool is_ready() const noexcept { return state_ != State::kPending; }

  /// The item. Only when `is_item()`.
  T& value() & noexcept { return *value_; }
  T&& value() && noexcept { return std::move(*value_); }

  /// The item, or std::nullopt at the end. Only when `is_ready()`.
  std::optional<T> take() && noexcept(std::is_nothrow_move_constructible_v<T>) {
    return std::move(value_);
  }

 private:
  enum class State : unsigned char { kPending, kEnd, kItem };
  explicit StreamPoll(State s) noexcept : state_(s) {}
  explicit StreamPoll(T&& v) : state_(State::kItem), value_(std::move(v)) {}

  State state_;
  std::optional<T> value_;
};

}  // namespace troupe
