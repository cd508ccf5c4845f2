#pragma once

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// A stream borrowed instead of owned: the combinators own their source, so
/// `by_ref(s)` lets them read from a stream that must stay where it is (an
/// actor's Mailbox) or that is read on afterwards. Holds a pointer: `s`
/// must outlive it. Polled by one task at a time, like `s`.
template <AsyncStream S>
class ByRef : public StreamBase<ByRef<S>> {
 public:
  using value_type = stream_value_t<S>;
  explicit ByRef(S& source) noexcept : source_(&source) {}
  StreamPoll<value_type> poll_next(Context& cx) { return source_->poll_next(cx); }

 private:
  S* source_;
};

/// Borrows `source` as a stream (see ByRef).
template <AsyncStream S>
ByRef<S> by_ref(S& source) noexcept {
  return ByRef<S>(source);
}

}  // namespace troupe::stream
