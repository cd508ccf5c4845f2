#pragma once

#include <cstddef>

#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream::detail {

/// A poll that is pending or the end, passed on as a poll of another item
/// type (what a combinator returns when its source has no item for it).
template <class U, class T>
StreamPoll<U> pass_on(const StreamPoll<T>& p) noexcept {
  return p.is_pending() ? StreamPoll<U>::pending() : StreamPoll<U>::end();
}

/// How many ready items a combinator may consume and throw away in one poll
/// (filter, filter_map) before it gives the worker back. Without a limit, a
/// source that always has an item and a predicate that rejects them all
/// would hold the worker until the source ends, which may be never.
inline constexpr std::size_t kDiscardBudget = 64;

/// Gives the worker back from inside a poll: the polling task is woken at
/// once (it runs again after the other runnable tasks, like `yield_now`) and
/// the caller returns pending.
template <class T>
StreamPoll<T> yield_pending(Context& cx) noexcept {
  cx.waker().wake();
  return StreamPoll<T>::pending();
}

}  // namespace troupe::stream::detail
