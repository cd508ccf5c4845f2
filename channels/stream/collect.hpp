#pragma once

#include <optional>
#include <utility>
#include <vector>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::stream {

/// A Task that gathers every item of `source`, in order, into a vector,
/// and finishes with it when the source ends. An exception from the source
/// ends the Task with it (the items gathered so far are dropped).
///
/// The Task owns `source` (in its frame). Like every Task, it runs on one
/// task at a time. For a stream that never ends, combine with take().
template <AsyncStream S>
Task<std::vector<stream_value_t<S>>> collect(S source) {
  std::vector<stream_value_t<S>> items;
  for (;;) {
    std::optional<stream_value_t<S>> item = co_await troupe::next(source);
    if (!item) co_return std::move(items);
    items.push_back(std::move(*item));
  }
}

/// Pipeline form: `co_await (source | stream::collect())`.
inline auto collect() {
  return detail::make_adaptor([]<class S>(S source) { return stream::collect(std::move(source)); });
}

}  // namespace troupe::stream
