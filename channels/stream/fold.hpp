#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::stream {

namespace detail {
/// What one step of a fold returns.
template <class F, class Acc, class S>
using FoldStep = std::remove_cvref_t<std::invoke_result_t<F&, Acc, stream_value_t<S>>>;

/// `f(acc, item)` returns the next Acc, or a troupe::Task<Acc> of it.
template <class F, class Acc, class S>
concept Folder = std::invocable<F&, Acc, stream_value_t<S>> &&
    (std::convertible_to<FoldStep<F, Acc, S>, Acc> || std::same_as<FoldStep<F, Acc, S>, Task<Acc>>);
}  // namespace detail

/// A Task that reduces `source` to one value: starting from `init`, each
/// item replaces the accumulator with `f(std::move(acc), item)` (a value,
/// or a Task<Acc> that is awaited); the result is the last accumulator, or
/// `init` for an empty stream. An exception from the source or from `f`
/// ends the Task with it.
///
/// The Task owns `source`, `init` and `f` (in its frame). Like every Task,
/// it runs on one task at a time.
template <AsyncStream S, class Acc, class F>
requires detail::Folder<F, Acc, S> Task<Acc> fold(S source, Acc init, F f) {
  Acc acc = std::move(init);
  for (;;) {
    std::optional<stream_value_t<S>> item = co_await troupe::next(source);
    if (!item) co_return std::move(acc);
    if constexpr (std::same_as<detail::FoldStep<F, Acc, S>, Task<Acc>>) {
      acc = co_await std::invoke(f, std::move(acc), std::move(*item));
    } else {
      acc = std::invoke(f, std::move(acc), std::move(*item));
    }
  }
}

/// Pipeline form: `co_await (source | stream::fold(init, f))`.
template <class Acc, class F>
auto fold(Acc init, F f) {
  return detail::make_adaptor(
      [init = std::move(init), f = std::move(f)]<class S>(S source) mutable {
        return stream::fold(std::move(source), std::move(init), std::move(f));
      });
}

}  // namespace troupe::stream
