#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/detail/poll_helpers.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// The items of a source stream for which `pred(item)` (called on a const
/// reference) is true; the others are dropped. An exception from `pred`
/// reaches the consumer; that item is gone and the next poll goes on with
/// the one after it. After dropping a run of ready items (detail::
/// kDiscardBudget) in one poll it lets other tasks run before going on.
///
/// Owns its source and `pred`. Polled by one task at a time.
template <AsyncStream S, class P>
requires std::predicate < P&, const stream_value_t<S>
& > class Filter : public StreamBase<Filter<S, P>> {
 public:
  using value_type = stream_value_t<S>;

  Filter(S source, P pred) : source_(std::move(source)), pred_(std::move(pred)) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    for (std::size_t dropped = 0; dropped < detail::kDiscardBudget; ++dropped) {
      StreamPoll<value_type> p = source_.poll_next(cx);
      if (!p.is_item() || std::invoke(pred_, std::as_const(p.value()))) return p;
    }
    return detail::yield_pending<value_type>(cx);
  }

 private:
  S source_;
  P pred_;
};

/// The items of `source` that satisfy `pred`.
template <AsyncStream S, class P>
requires std::predicate < P&, const stream_value_t<S>
& > Filter<S, P> filter(S source, P pred) {
  return Filter<S, P>(std::move(source), std::move(pred));
}

/// Pipeline form: `source | stream::filter(pred)`.
template <class P>
auto filter(P pred) {
  return detail::make_adaptor([pred = std::move(pred)]<class S>(S source) mutable {
    return stream::filter(std::move(source), std::move(pred));
  });
}

}  // namespace troupe::stream
