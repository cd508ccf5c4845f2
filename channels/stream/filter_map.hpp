#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/detail/poll_helpers.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

namespace detail {
template <class>
struct OptionalValue {};
template <class U>
struct OptionalValue<std::optional<U>> {
  using type = U;
};

/// `f(item)` is a std::optional<U> for the items of S.
template <class F, class S>
concept OptionalReturning = std::invocable<F&, stream_value_t<S>> && requires {
  typename OptionalValue<std::remove_cvref_t<std::invoke_result_t<F&, stream_value_t<S>>>>::type;
};
}  // namespace detail

/// Filter and map in one: `f(item)` returns a std::optional<U>; the values
/// are handed out, the empty optionals dropped. An exception from `f`
/// reaches the consumer; that item is gone and the next poll goes on with
/// the one after it. Like filter, it lets other tasks run after dropping a
/// long run of ready items in one poll.
///
/// Owns its source and `f`. Polled by one task at a time.
template <AsyncStream S, class F>
requires detail::OptionalReturning<F, S>
class FilterMap : public StreamBase<FilterMap<S, F>> {
  using Result = std::remove_cvref_t<std::invoke_result_t<F&, stream_value_t<S>>>;

 public:
  /// U, from the std::optional<U> that f returns.
  using value_type = typename detail::OptionalValue<Result>::type;

  FilterMap(S source, F f) : source_(std::move(source)), f_(std::move(f)) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    for (std::size_t dropped = 0; dropped < detail::kDiscardBudget; ++dropped) {
      StreamPoll<stream_value_t<S>> p = source_.poll_next(cx);
      if (!p.is_item()) return detail::pass_on<value_type>(p);
      Result r = std::invoke(f_, std::move(p).value());
      if (r) return StreamPoll<value_type>::item(std::move(*r));
    }
    return detail::yield_pending<value_type>(cx);
  }

 private:
  S source_;
  F f_;
};

/// The engaged results of `f` over the items of `source`; `f` must return
/// a std::optional.
template <AsyncStream S, class F>
requires detail::OptionalReturning<F, S> FilterMap<S, F> filter_map(S source, F f) {
  return FilterMap<S, F>(std::move(source), std::move(f));
}

/// Pipeline form: `source | stream::filter_map(f)`.
template <class F>
auto filter_map(F f) {
  return detail::make_adaptor([f = std::move(f)]<class S>(S source) mutable {
    return stream::filter_map(std::move(source), std::move(f));
  });
}

}  // namespace troupe::stream
