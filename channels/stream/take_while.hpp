#pragma once

#include <concepts>
#include <functional>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// The items of a source stream up to (not including) the first one for
/// which `pred(item)` is false; that item is dropped and the stream ends
/// there without polling the source again. An exception from `pred` reaches
/// the consumer; that item is gone and the next poll goes on after it.
///
/// Owns its source and `pred`. Polled by one task at a time.
template <AsyncStream S, class P>
requires std::predicate < P&, const stream_value_t<S>
& > class TakeWhile : public StreamBase<TakeWhile<S, P>> {
 public:
  using value_type = stream_value_t<S>;

  TakeWhile(S source, P pred) : source_(std::move(source)), pred_(std::move(pred)) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    if (done_) return StreamPoll<value_type>::end();
    StreamPoll<value_type> p = source_.poll_next(cx);
    if (p.is_pending()) return p;
    if (p.is_item() && std::invoke(pred_, std::as_const(p.value()))) return p;
    done_ = true;
    return StreamPoll<value_type>::end();
  }

 private:
  S source_;
  P pred_;
  bool done_ = false;
};

/// The leading items of `source` that satisfy `pred`.
template <AsyncStream S, class P>
requires std::predicate < P&, const stream_value_t<S>
& > TakeWhile<S, P> take_while(S source, P pred) {
  return TakeWhile<S, P>(std::move(source), std::move(pred));
}

/// Pipeline form: `source | stream::take_while(pred)`.
template <class P>
auto take_while(P pred) {
  return detail::make_adaptor([pred = std::move(pred)]<class S>(S source) mutable {
    return stream::take_while(std::move(source), std::move(pred));
  });
}

}  // namespace troupe::stream
