#pragma once

#include <optional>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// Pairs of items, one from each of two streams, in step: the k-th pair
/// holds the k-th item of each. Ends as soon as either stream ends (an item
/// already taken from the other one is then dropped; the other stream is
/// not polled again).
///
/// While one side has an item and the other is pending, the item waits in
/// the Zip, so each side is polled only until it has delivered its half.
/// Owns both streams. Polled by one task at a time.
template <AsyncStream A, AsyncStream B>
class Zip : public StreamBase<Zip<A, B>> {
 public:
  using value_type = std::pair<stream_value_t<A>, stream_value_t<B>>;

  Zip(A a, B b) : a_(std::move(a)), b_(std::move(b)) {}

  StreamPoll<value_type> poll_next(Context& cx) {
    if (done_) return StreamPoll<value_type>::end();
    if (!fill(a_, a_item_, cx) || !fill(b_, b_item_, cx)) {
      finish();
      return StreamPoll<value_type>::end();
    }
    if (!a_item_ || !b_item_) return StreamPoll<value_type>::pending();
    value_type pair(std::move(*a_item_), std::move(*b_item_));
    a_item_.reset();
    b_item_.reset();
    return StreamPoll<value_type>::item(std::move(pair));
  }

 private:
  // Polls `s` unless its half is already waiting; false if it ended.
  template <class S>
  static bool fill(S& s, std::optional<stream_value_t<S>>& slot, Context& cx) {
    if (slot) return true;
    StreamPoll<stream_value_t<S>> p = s.poll_next(cx);
    if (p.is_end()) return false;
    if (p.is_item()) slot.emplace(std::move(p).value());
    return true;
  }
  void finish() noexcept {
    done_ = true;
    a_item_.reset();
    b_item_.reset();
  }

  A a_;
  B b_;
  std::optional<stream_value_t<A>> a_item_;
  std::optional<stream_value_t<B>> b_item_;
  bool done_ = false;
};

/// Pairs of the items of `a` and `b`, until either ends.
template <AsyncStream A, AsyncStream B>
Zip<A, B> zip(A a, B b) {
  return Zip<A, B>(std::move(a), std::move(b));
}

/// Pipeline form: `a | stream::zip(b)`.
template <AsyncStream B>
auto zip(B b) {
  return detail::make_adaptor(
      [b = std::move(b)]<class A>(A a) mutable { return stream::zip(std::move(a), std::move(b)); });
}

}  // namespace troupe::stream
