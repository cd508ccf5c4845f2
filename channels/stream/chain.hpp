#pragma once

#include <concepts>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// All the items of a first stream, then all the items of a second one (of
/// the same item type). The second is not polled before the first ends.
///
/// Owns both streams. Polled by one task at a time.
template <AsyncStream A, AsyncStream B>
requires std::same_as<stream_value_t<A>, stream_value_t<B>>
class Chain : public StreamBase<Chain<A, B>> {
 public:
  using value_type = stream_value_t<A>;

  Chain(A first, B second) : first_(std::move(first)), second_(std::move(second)) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    if (!first_done_) {
      StreamPoll<value_type> p = first_.poll_next(cx);
      if (!p.is_end()) return p;
      first_done_ = true;
    }
    return second_.poll_next(cx);
  }

 private:
  A first_;
  B second_;
  bool first_done_ = false;
};

/// `first`'s items, then `second`'s.
template <AsyncStream A, AsyncStream B>
requires std::same_as<stream_value_t<A>, stream_value_t<B>> Chain<A, B> chain(A first, B second) {
  return Chain<A, B>(std::move(first), std::move(second));
}

/// Pipeline form: `first | stream::chain(second)`.
template <AsyncStream B>
auto chain(B second) {
  return detail::make_adaptor([second = std::move(second)]<class A>(A first) mutable {
    return stream::chain(std::move(first), std::move(second));
  });
}

}  // namespace troupe::stream
