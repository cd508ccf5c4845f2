#pragma once

#include <optional>
#include <stdexcept>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/timer_registration.hpp>
#include <troupe/runtime/sleep.hpp>

namespace troupe::stream {

/// A rate limit on a source stream: at most one item per `period`. After
/// an item is handed out, the source is not polled again until `period`
/// has passed (on the clock of the polling task's scheduler), so items are
/// delayed, never dropped; a source that keeps producing meanwhile feels
/// it as backpressure. The first item goes through at once, and so does
/// any item that comes more than `period` after the one before. The end of
/// the source, too, is only seen once the period after the last item is
/// over: finding it would take a poll that might instead yield an item,
/// which would then sit in the Throttle, and items only leave a source when
/// they are handed out.
///
/// Owns its source and a timer that is armed only while an item is held
/// back. Polled by one task at a time.
template <AsyncStream S>
class Throttle : public StreamBase<Throttle<S>> {
 public:
  using value_type = stream_value_t<S>;

  /// Throws std::invalid_argument unless `period` is positive.
  Throttle(S source, Duration period) : source_(std::move(source)), period_(period) {
    if (period <= Duration::zero()) {
      throw std::invalid_argument("troupe::stream::throttle: the period must be positive");
    }
  }

  StreamPoll<value_type> poll_next(Context& cx) {
    if (gate_) {
      if (!gate_->poll(cx)) return StreamPoll<value_type>::pending();
      gate_.reset();
    }
    StreamPoll<value_type> p = source_.poll_next(cx);
    if (p.is_item()) {
      gate_.emplace(troupe::detail::saturating_add(cx.scheduler().now(), period_));
    }
    return p;
  }

 private:
  S source_;
  Duration period_;
  std::optional<Sleep> gate_;  // the earliest time of the next item, after one went out
};

/// `source`, at most one item per `period`.
template <AsyncStream S>
Throttle<S> throttle(S source, Duration period) {
  return Throttle<S>(std::move(source), period);
}

/// Pipeline form: `source | stream::throttle(period)`.
inline auto throttle(Duration period) {
  return detail::make_adaptor(
      [period]<class S>(S source) { return stream::throttle(std::move(source), period); });
}

}  // namespace troupe::stream
