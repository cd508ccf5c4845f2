#pragma once

#include <iterator>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>

namespace troupe::stream {

/// A stream over the values of a container it owns: every poll is ready,
/// with the next element (moved out of the container when it allows it,
/// copied otherwise, e.g. from a std::set), then the end.
///
/// Owns the container. Copyable if the container is (the copy goes on from
/// the same position) and movable at any time: it remembers a position,
/// not an iterator into storage that might move. Not thread-safe.
template <std::ranges::forward_range R>
class Iter : public StreamBase<Iter<R>> {
 public:
  using value_type = std::ranges::range_value_t<R>;

  explicit Iter(R range) noexcept(std::is_nothrow_move_constructible_v<R>)
      : range_(std::move(range)) {}
  Iter(const Iter& other) : range_(other.range_), pos_(other.pos_) {}
  Iter(Iter&& other) noexcept(std::is_nothrow_move_constructible_v<R>)
      : range_(std::move(other.range_)), pos_(other.pos_) {}
  Iter& operator=(Iter other) noexcept(std::is_nothrow_move_assignable_v<R>) {
    range_ = std::move(other.range_);
    pos_ = other.pos_;
    it_.reset();
    return *this;
  }

  StreamPoll<value_type> poll_next(Context&) {
    if (!it_) it_ = std::ranges::next(std::ranges::begin(range_), pos_);
    if (*it_ == std::ranges::end(range_)) return StreamPoll<value_type>::end();
    auto& it = *it_;
    // Advance first: if moving the value out throws, that element is over.
    auto current = it++;
    ++pos_;
    return StreamPoll<value_type>::item(value_type(std::move(*current)));
  }

 private:
  using Iterator = std::ranges::iterator_t<R>;
  R range_;
  std::ranges::range_difference_t<R> pos_ = 0;  // elements handed out so far
  std::optional<Iterator> it_;                  // pos_ as an iterator; redone after a move or copy
};

/// A stream over the values of `range`, which it takes over: an rvalue is
/// moved in, an lvalue is copied.
template <std::ranges::forward_range R>
requires std::movable<std::remove_cvref_t<R>> Iter<std::remove_cvref_t<R>> iter(R&& range) {
  return Iter<std::remove_cvref_t<R>>(std::remove_cvref_t<R>(std::forward<R>(range)));
}

}  // namespace troupe::stream
