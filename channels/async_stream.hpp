#pragma once

#include <concepts>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe {

/// An asynchronous stream: the async sibling of an iterator, and the
/// sequence counterpart of a Future (Rust's `Stream::poll_next`):
///
///   using value_type = T;
///   StreamPoll<T> poll_next(Context& cx);  // an item, the end, or pending
///
/// Pending means the waker of `cx` is registered and will fire once the
/// stream can make progress; like a Future, a stream registers before it
/// re-checks, so no wake falls in between. Rules every stream here keeps,
/// and every stream written against this concept should keep:
///   - Polled by one task at a time (it is not thread-safe), and not moved
///     while a poll is pending (parked waiters may point into it).
///   - Fused: once it has returned the end, it keeps returning the end.
///   - poll_next may throw: the exception reaches whoever awaits `next()`,
///     and the stream stays usable (the next poll goes on after the item
///     that failed, as for an exception in a `map` function).
///   - Destroying a stream, or a pending `next()`, loses no item that was
///     not yet handed out: items only leave a source in a ready poll.
///
/// Consume one with `while (auto v = co_await stream.next()) ...`, or with
/// the terminal operations (for_each, fold, collect); transform it with the
/// combinators in channels/stream/ (map, filter, take, merge, ...).
template <class S>
concept AsyncStream = requires(S& s, Context& cx) {
  typename S::value_type;
  { s.poll_next(cx) } -> std::same_as<StreamPoll<typename S::value_type>>;
};

/// The item type of a stream.
template <AsyncStream S>
using stream_value_t = typename S::value_type;

/// The Future behind `co_await stream.next()`: the next item, or
/// std::nullopt at the end of the stream. Rethrows what poll_next threw.
///
/// Borrows the stream, which must outlive it. Destroying it while pending
/// loses nothing: the stream keeps whatever progress it made for the next
/// poll (so it is a safe arm of `select`). Polled by one task, like any
/// Future.
template <AsyncStream S>
class [[nodiscard]] NextFuture {
 public:
  using value_type = stream_value_t<S>;

  explicit NextFuture(S& s) noexcept : stream_(&s) {}
  // Movable: it holds no registration (the stream does), so it can be an
  // owned arm of `select`.
  NextFuture(NextFuture&&) = default;
  NextFuture& operator=(NextFuture&&) = default;

  bool poll(Context& cx) noexcept {
    if (ready_) return true;
    try {
      StreamPoll<value_type> p = stream_->poll_next(cx);
      if (p.is_pending()) return false;
      if (p.is_item()) value_.emplace(std::move(p).value());  // T need not be assignable
    } catch (...) {
      error_ = std::current_exception();
    }
    ready_ = true;
    return true;
  }

  std::optional<value_type> await_resume() {
    if (error_) std::rethrow_exception(error_);
    return std::move(value_);
  }

 private:
  S* stream_;
  std::optional<value_type> value_;
  std::exception_ptr error_;
  bool ready_ = false;
};

/// `co_await next(stream)`: the next item of any stream, or std::nullopt at
/// its end. Streams made here also have it as a member, `stream.next()`.
template <AsyncStream S>
NextFuture<S> next(S& stream) noexcept {
  return NextFuture<S>(stream);
}

/// A base that gives a stream type `next()` as a member: derive from
/// `StreamBase<Derived>` (CRTP). Adds no state.
template <class Derived>
class StreamBase {
 public:
  /// `co_await next()`: the next item, or std::nullopt at the end.
  auto next() noexcept { return NextFuture<Derived>(static_cast<Derived&>(*this)); }

 protected:
  StreamBase() = default;
};

}  // namespace troupe
