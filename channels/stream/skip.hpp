#pragma once

#include <cstddef>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/detail/poll_helpers.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// A source stream without its first `n` items (dropped as they arrive, on
/// the first polls), then everything else. Ends early if the source does.
/// Like filter, it lets other tasks run after dropping a long run of ready
/// items in one poll.
///
/// Owns its source. Polled by one task at a time.
template <AsyncStream S>
class Skip : public StreamBase<Skip<S>> {
 public:
  using value_type = stream_value_t<S>;

  Skip(S source, std::size_t n) : source_(std::move(source)), to_skip_(n) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    for (std::size_t dropped = 0; dropped < detail::kDiscardBudget; ++dropped) {
      StreamPoll<value_type> p = source_.poll_next(cx);
      if (!p.is_item() || to_skip_ == 0) return p;
      --to_skip_;
    }
    return detail::yield_pending<value_type>(cx);
  }

 private:
  S source_;
  std::size_t to_skip_;
};

/// `source` without its first `n` items.
template <AsyncStream S>
Skip<S> skip(S source, std::size_t n) {
  return Skip<S>(std::move(source), n);
}

/// Pipeline form: `source | stream::skip(n)`.
inline auto skip(std::size_t n) {
  return detail::make_adaptor(
      [n]<class S>(S source) { return stream::skip(std::move(source), n); });
}

}  // namespace troupe::stream
