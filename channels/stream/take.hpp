#pragma once

#include <cstddef>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// The first `n` items of a source stream, then the end, even if the source
/// has more (those stay in the source: it is not polled again once `n`
/// items are out, and never with n == 0).
///
/// Owns its source. Polled by one task at a time.
template <AsyncStream S>
class Take : public StreamBase<Take<S>> {
 public:
  using value_type = stream_value_t<S>;

  Take(S source, std::size_t n) : source_(std::move(source)), remaining_(n) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    if (remaining_ == 0) return StreamPoll<value_type>::end();
    StreamPoll<value_type> p = source_.poll_next(cx);
    if (p.is_item()) {
      --remaining_;
    } else if (p.is_end()) {
      remaining_ = 0;
    }
    return p;
  }

  /// Items still to come at most.
  std::size_t remaining() const noexcept { return remaining_; }

 private:
  S source_;
  std::size_t remaining_;
};

/// At most the first `n` items of `source`.
template <AsyncStream S>
Take<S> take(S source, std::size_t n) {
  return Take<S>(std::move(source), n);
}

/// Pipeline form: `source | stream::take(n)`.
inline auto take(std::size_t n) {
  return detail::make_adaptor(
      [n]<class S>(S source) { return stream::take(std::move(source), n); });
}

}  // namespace troupe::stream
