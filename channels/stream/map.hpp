#pragma once

#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/detail/poll_helpers.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// The items of a source stream, each passed through `f`: `f(item)` is the
/// item handed out. An exception from `f` reaches the consumer; that item is
/// gone and the next poll goes on with the one after it.
///
/// Owns its source and `f`. Polled by one task at a time, like its source.
template <AsyncStream S, class F>
requires std::invocable<F&, stream_value_t<S>>
class Map : public StreamBase<Map<S, F>> {
 public:
  using value_type = std::remove_cvref_t<std::invoke_result_t<F&, stream_value_t<S>>>;
  static_assert(!std::is_void_v<value_type>, "stream::map: f must return a value");

  Map(S source, F f) : source_(std::move(source)), f_(std::move(f)) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    StreamPoll<stream_value_t<S>> p = source_.poll_next(cx);
    if (!p.is_item()) return detail::pass_on<value_type>(p);
    return StreamPoll<value_type>::item(std::invoke(f_, std::move(p).value()));
  }

 private:
  S source_;
  F f_;
};

/// `f` applied to every item of `source`.
template <AsyncStream S, class F>
requires std::invocable<F&, stream_value_t<S>> Map<S, F> map(S source, F f) {
  return Map<S, F>(std::move(source), std::move(f));
}

/// Pipeline form: `source | stream::map(f)`.
template <class F>
auto map(F f) {
  return detail::make_adaptor([f = std::move(f)]<class S>(S source) mutable {
    return stream::map(std::move(source), std::move(f));
  });
}

}  // namespace troupe::stream
