#pragma once

#include <cstddef>
#include <stdexcept>
#include <utility>
#include <vector>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// Batches of whatever a source stream has ready: each poll takes items
/// until the source would wait, ends, or `n` are taken, and hands them out
/// as one vector (never an empty one: with nothing ready it is pending).
/// What an actor wants from its mailbox: under load it gets large batches,
/// when idle it gets each message without delay.
///
/// If the source throws after some items were taken, the exception goes
/// out first and those items come with the next poll. One allocation per
/// batch. Owns its source. Polled by one task at a time.
template <AsyncStream S>
class ReadyChunks : public StreamBase<ReadyChunks<S>> {
 public:
  using value_type = std::vector<stream_value_t<S>>;

  /// Throws std::invalid_argument if `n` is 0.
  ReadyChunks(S source, std::size_t n) : source_(std::move(source)), n_(n) {
    if (n == 0) {
      throw std::invalid_argument("troupe::stream::ready_chunks: the size must be positive");
    }
  }

  StreamPoll<value_type> poll_next(Context& cx) {
    while (!done_ && buffer_.size() < n_) {
      StreamPoll<stream_value_t<S>> p = source_.poll_next(cx);
      if (p.is_pending()) break;
      if (p.is_end()) {
        done_ = true;
        break;
      }
      buffer_.push_back(std::move(p).value());
    }
    if (!buffer_.empty()) return StreamPoll<value_type>::item(std::exchange(buffer_, value_type()));
    return done_ ? StreamPoll<value_type>::end() : StreamPoll<value_type>::pending();
  }

 private:
  S source_;
  std::size_t n_;
  value_type buffer_;
  bool done_ = false;
};

/// The items of `source` in batches of what is ready, 1 to `n` at a time.
template <AsyncStream S>
ReadyChunks<S> ready_chunks(S source, std::size_t n) {
  return ReadyChunks<S>(std::move(source), n);
}

/// Pipeline form: `source | stream::ready_chunks(n)`.
inline auto ready_chunks(std::size_t n) {
  return detail::make_adaptor(
      [n]<class S>(S source) { return stream::ready_chunks(std::move(source), n); });
}

}  // namespace troupe::stream
