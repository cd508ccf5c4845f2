#pragma once

#include <optional>
#include <stdexcept>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/timeout.hpp>

namespace troupe::stream {

/// A per-item deadline on a source stream: each item comes as a
/// TimeoutResult<T> holding it; if none arrives within `d` of the first
/// poll that found the source not ready, a TimeoutResult<T>::elapsed() comes
/// instead, and the stream goes on (the next wait starts a new `d`). Ends
/// when the source ends. Nothing is lost: an elapsed result takes no item
/// from the source.
///
/// Runs on the clock of the polling task's scheduler (virtual time under a
/// TestExecutor). The timer is armed only while waiting and is removed when
/// an item or the deadline comes, or with the stream. Owns its source.
/// Polled by one task at a time.
template <AsyncStream S>
class Timeout : public StreamBase<Timeout<S>> {
 public:
  using value_type = TimeoutResult<stream_value_t<S>>;

  /// Throws std::invalid_argument unless `d` is positive.
  Timeout(S source, Duration d) : source_(std::move(source)), limit_(d) {
    if (d <= Duration::zero()) {
      throw std::invalid_argument("troupe::stream::timeout: the duration must be positive");
    }
  }

  StreamPoll<value_type> poll_next(Context& cx) {
    if (done_) return StreamPoll<value_type>::end();
    StreamPoll<stream_value_t<S>> p = source_.poll_next(cx);
    if (p.is_item()) {
      deadline_.reset();
      return StreamPoll<value_type>::item(value_type(std::move(p).value()));
    }
    if (p.is_end()) {
      done_ = true;
      deadline_.reset();
      return StreamPoll<value_type>::end();
    }
    if (!deadline_) deadline_.emplace(sleep_for(limit_));
    if (!deadline_->poll(cx)) return StreamPoll<value_type>::pending();
    deadline_.reset();
    return StreamPoll<value_type>::item(value_type::elapsed());
  }

 private:
  S source_;
  Duration limit_;
  std::optional<Sleep> deadline_;  // armed while waiting for an item
  bool done_ = false;
};

/// `source`'s items as TimeoutResults, with an elapsed() result whenever
/// the next item takes longer than `d`.
template <AsyncStream S>
Timeout<S> timeout(S source, Duration d) {
  return Timeout<S>(std::move(source), d);
}

/// Pipeline form: `source | stream::timeout(d)`.
inline auto timeout(Duration d) {
  return detail::make_adaptor(
      [d]<class S>(S source) { return stream::timeout(std::move(source), d); });
}

}  // namespace troupe::stream
