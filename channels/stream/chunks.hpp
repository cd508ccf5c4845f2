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

/// The items of a source stream in vectors of `n`, waiting until each is
/// full; when the source ends, the items left over come as one last,
/// shorter vector (none if there are none).
///
/// Items taken while a chunk fills stay in the Chunks, across pending polls
/// and exceptions from the source, until the chunk is handed out. One
/// allocation per chunk. Owns its source. Polled by one task at a time.
template <AsyncStream S>
class Chunks : public StreamBase<Chunks<S>> {
 public:
  using value_type = std::vector<stream_value_t<S>>;

  /// Throws std::invalid_argument if `n` is 0.
  Chunks(S source, std::size_t n) : source_(std::move(source)), n_(n) {
    if (n == 0) throw std::invalid_argument("troupe::stream::chunks: the size must be positive");
  }

  StreamPoll<value_type> poll_next(Context& cx) {
    if (done_) return StreamPoll<value_type>::end();
    while (buffer_.size() < n_) {
      StreamPoll<stream_value_t<S>> p = source_.poll_next(cx);
      if (p.is_pending()) return StreamPoll<value_type>::pending();
      if (p.is_end()) {
        done_ = true;
        if (buffer_.empty()) return StreamPoll<value_type>::end();
        break;
      }
      if (buffer_.empty()) buffer_.reserve(n_);
      buffer_.push_back(std::move(p).value());
    }
    return StreamPoll<value_type>::item(std::exchange(buffer_, value_type()));
  }

 private:
  S source_;
  std::size_t n_;
  value_type buffer_;
  bool done_ = false;
};

/// The items of `source` in vectors of `n` (the last one may be shorter).
template <AsyncStream S>
Chunks<S> chunks(S source, std::size_t n) {
  return Chunks<S>(std::move(source), n);
}

/// Pipeline form: `source | stream::chunks(n)`.
inline auto chunks(std::size_t n) {
  return detail::make_adaptor(
      [n]<class S>(S source) { return stream::chunks(std::move(source), n); });
}

}  // namespace troupe::stream
