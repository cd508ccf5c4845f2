#pragma once

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// A stream that ends at once: the identity of `chain`, and a stand-in where
/// a stream is required but there is nothing to produce.
///
/// Stateless; copyable, movable and usable from any thread.
template <class T>
class Empty : public StreamBase<Empty<T>> {
 public:
  using value_type = T;

  Empty() noexcept = default;

  StreamPoll<T> poll_next(Context&) noexcept { return StreamPoll<T>::end(); }
};

/// An empty stream of T.
template <class T>
Empty<T> empty() noexcept {
  return Empty<T>();
}

}  // namespace troupe::stream
