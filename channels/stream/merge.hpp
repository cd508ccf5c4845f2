#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

namespace detail {

/// Round-robin bookkeeping shared by Merge and MergeAll: which sources have
/// ended, and which one to poll first next time. After a source hands out
/// an item, the next poll starts with the source after it, so a source that
/// always has an item cannot starve the others: each of them gets the first
/// look at least once every N items.
class MergeRotation {
 public:
  explicit MergeRotation(std::size_t n) : ended_(n, false), live_(n) {}

  /// Polls the sources that have not ended, starting with the rotation's
  /// current first, until one has an item; `poll(i)` polls source i.
  template <class T, class PollAt>
  StreamPoll<T> poll(PollAt&& poll_at) {
    const std::size_t n = ended_.size();
    for (std::size_t k = 0; k < n && live_ > 0; ++k) {
      const std::size_t i = (first_ + k) % n;
      if (ended_[i]) continue;
      StreamPoll<T> p = poll_at(i);
      if (p.is_item()) {
        first_ = (i + 1) % n;
        return p;
      }
      if (p.is_end()) {
        ended_[i] = true;
        --live_;
      }
    }
    return live_ == 0 ? StreamPoll<T>::end() : StreamPoll<T>::pending();
  }

 private:
  std::vector<bool> ended_;
  std::size_t live_;
  std::size_t first_ = 0;
};

template <class First, class... Rest>
inline constexpr bool kSameValueType = (std::same_as<stream_value_t<First>, stream_value_t<Rest>> &&
                                        ...);

/// Streams that all have the same item type.
template <class... S>
concept SameValueStreams = sizeof...(S) >= 1 && (AsyncStream<S> && ...) && kSameValueType<S...>;

}  // namespace detail

/// Fan-in: the items of several streams of the same item type, each as soon
/// as it is ready, until all of them have ended. Fair: the source polled
/// first rotates (see detail::MergeRotation), so a busy source does not
/// starve a quiet one. No order between sources; each source's own order is
/// kept. When pending, every live source has registered the waker.
///
/// Owns the sources. Polled by one task at a time.
template <AsyncStream... S>
requires detail::SameValueStreams<S...>
class Merge : public StreamBase<Merge<S...>> {
 public:
  using value_type = stream_value_t<std::tuple_element_t<0, std::tuple<S...>>>;

  explicit Merge(S... sources) : sources_(std::move(sources)...) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    return rotation_.poll<value_type>([&](std::size_t i) { return poll_at<0>(i, cx); });
  }

 private:
  template <std::size_t I>
  StreamPoll<value_type> poll_at(std::size_t i, Context& cx) {
    if constexpr (I + 1 < sizeof...(S)) {
      if (i != I) return poll_at<I + 1>(i, cx);
    }
    return std::get<I>(sources_).poll_next(cx);
  }

  std::tuple<S...> sources_;
  detail::MergeRotation rotation_{sizeof...(S)};
};

/// Fan-in over a number of streams of one type known only at run time (a
/// stream per connection, per worker): like Merge, over a std::vector.
///
/// Owns the vector (which it never resizes, so no source moves). Polled by
/// one task at a time.
template <AsyncStream S>
class MergeAll : public StreamBase<MergeAll<S>> {
 public:
  using value_type = stream_value_t<S>;

  explicit MergeAll(std::vector<S> sources)
      : sources_(std::move(sources)), rotation_(sources_.size()) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    return rotation_.poll<value_type>([&](std::size_t i) { return sources_[i].poll_next(cx); });
  }

 private:
  std::vector<S> sources_;
  detail::MergeRotation rotation_;
};

/// The items of all of `sources` (two or more), interleaved as they come.
template <AsyncStream... S>
requires(sizeof...(S) >= 2 && detail::SameValueStreams<S...>) Merge<S...> merge(S... sources) {
  return Merge<S...>(std::move(sources)...);
}

/// The items of every stream in `sources`, interleaved as they come; ends at
/// once if the vector is empty.
template <AsyncStream S>
MergeAll<S> merge(std::vector<S> sources) {
  return MergeAll<S>(std::move(sources));
}

/// Pipeline form: `a | stream::merge_with(b, c)` is `merge(a, b, c)`.
template <AsyncStream... S>
requires(sizeof...(S) >= 1) auto merge_with(S... others) {
  return detail::make_adaptor([... others = std::move(others)]<class First>(First first) mutable {
    return stream::merge(std::move(first), std::move(others)...);
  });
}

}  // namespace troupe::stream
