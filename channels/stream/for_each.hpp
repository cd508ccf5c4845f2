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
/// `f(item)` returns void or a troupe::Task<void>, for the items of S.
template <class F, class S>
concept ItemConsumer = std::invocable<F&, stream_value_t<S>> &&
    (std::is_void_v<std::invoke_result_t<F&, stream_value_t<S>>> ||
     std::same_as<std::remove_cvref_t<std::invoke_result_t<F&, stream_value_t<S>>>, Task<void>>);
}  // namespace detail

/// A Task that calls `f` on every item of `source`, in order, and finishes
/// when the source ends. `f` may return void, or a Task<void> that is
/// awaited before the next item is taken. An exception from the source or
/// from `f` ends the Task with it.
///
/// The Task owns `source` and `f` (they live in its frame: the call makes
/// no reference to anything the caller holds). Like every Task, it runs on
/// one task at a time.
template <AsyncStream S, class F>
requires detail::ItemConsumer<F, S> Task<void> for_each(S source, F f) {
  for (;;) {
    std::optional<stream_value_t<S>> item = co_await troupe::next(source);
    if (!item) co_return;
    if constexpr (std::is_void_v<std::invoke_result_t<F&, stream_value_t<S>>>) {
      std::invoke(f, std::move(*item));
    } else {
      co_await std::invoke(f, std::move(*item));
    }
  }
}

/// Pipeline form: `co_await (source | stream::for_each(f))`.
template <class F>
auto for_each(F f) {
  return detail::make_adaptor([f = std::move(f)]<class S>(S source) mutable {
    return stream::for_each(std::move(source), std::move(f));
  });
}

}  // namespace troupe::stream
