#pragma once

#include <optional>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// A stream of exactly one item, ready at once, then the end.
///
/// Owns the item until it is handed out. A plain value: copyable if T is,
/// movable at any time. Not thread-safe.
template <class T>
class Once : public StreamBase<Once<T>> {
 public:
  using value_type = T;

  explicit Once(T value) noexcept(std::is_nothrow_move_constructible_v<T>)
      : value_(std::move(value)) {}

  StreamPoll<T> poll_next(Context&) {
    if (!value_) return StreamPoll<T>::end();
    // Emptied before the item is built: a throwing move still ends the stream.
    std::optional<T> v = std::exchange(value_, std::nullopt);
    return StreamPoll<T>::item(std::move(*v));
  }

 private:
  std::optional<T> value_;
};

/// A stream that yields `value` once.
template <class T>
Once<T> once(T value) {
  return Once<T>(std::move(value));
}

}  // namespace troupe::stream
