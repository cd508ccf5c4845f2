#pragma once

#include <concepts>
#include <cstddef>
#include <optional>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/sender.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::stream {

/// How a `forward` ended: how many items the channel took, and whether it
/// stopped because the channel closed (rather than because the stream
/// ended). An item the closed channel refused is handed back in `unsent`,
/// never dropped silently.
///
/// A plain value owned by the caller; not thread-safe.
template <class T>
struct [[nodiscard]] ForwardResult {
  /// Items sent into the channel.
  std::size_t sent = 0;
  /// True if the channel closed before the stream ended.
  bool closed = false;
  /// The item taken from the stream that the closed channel refused; empty
  /// if the stream ended, or if the close was seen before another item was
  /// taken (that item is then still in the stream).
  std::optional<T> unsent;
};

/// A Task that sends every item of `source` into a channel through
/// `sender`, waiting for room before it takes the next item (so a bounded
/// channel's backpressure reaches the stream). It finishes when the stream
/// ends or the channel closes, with a ForwardResult. Before each item it
/// checks whether the channel is closed, so an item is only taken from the
/// stream when there is a channel to send it to. An exception from the
/// stream ends the Task with it.
///
/// The Task owns `source` and `sender` (in its frame). While it runs, its
/// Sender keeps the channel from closing for lack of senders; pass the last
/// Sender in with std::move to have the channel close when the stream ends.
/// Cancelling the Task while a send waits destroys that item with it (see
/// SendFuture).
template <AsyncStream S, class T>
requires std::convertible_to<stream_value_t<S>, T> Task<ForwardResult<T>> forward(
    S source, Sender<T> sender) {
  ForwardResult<T> result;
  while (!sender.is_closed()) {
    std::optional<stream_value_t<S>> item = co_await troupe::next(source);
    if (!item) co_return std::move(result);
    SendResult<T> r = co_await sender.send(T(std::move(*item)));
    if (!r.is_sent()) {
      result.unsent.emplace(std::move(r).value());
      break;
    }
    ++result.sent;
  }
  result.closed = true;
  co_return std::move(result);
}

/// Pipeline form: `co_await (source | stream::forward(sender))`.
template <class T>
auto forward(Sender<T> sender) {
  return detail::make_adaptor([sender = std::move(sender)]<class S>(S source) mutable {
    return stream::forward(std::move(source), std::move(sender));
  });
}

}  // namespace troupe::stream
