#pragma once

#include <concepts>
#include <type_traits>
#include <utility>

#include <troupe/channels/async_stream.hpp>

namespace troupe::stream {

/// One stage of a pipeline waiting for its source: what the one-argument
/// forms return (`stream::map(f)`, `stream::take(10)`, `stream::collect()`),
/// holding their arguments until `source | stage` builds the combinator (or
/// the terminal Task) around the source.
///
/// A plain value that owns the arguments; copyable when they are, so one
/// stage can be applied to several sources. Not thread-safe, like any value.
template <class Fn>
class [[nodiscard]] Adaptor {
 public:
  explicit Adaptor(Fn fn) noexcept(std::is_nothrow_move_constructible_v<Fn>) : fn_(std::move(fn)) {}

  /// Builds the stage around `source` (which it owns from then on).
  template <class S>
  auto apply(S source) && {
    return std::move(fn_)(std::move(source));
  }

 private:
  Fn fn_;
};

/// `source | stage`: the stage applied to `source`. The pipeline owns the
/// source: an lvalue is copied (a channel Receiver is then cloned), so a
/// move-only stream must be std::move'd in.
template <class S, class Fn>
requires AsyncStream<std::remove_cvref_t<S>>
auto operator|(S&& source, Adaptor<Fn> stage) {
  using Source = std::remove_cvref_t<S>;
  static_assert(std::constructible_from<Source, S>,
                "this stream is move-only: std::move it into the pipeline");
  return std::move(stage).apply(Source(std::forward<S>(source)));
}

namespace detail {

/// Wraps `fn(source)` as a pipeline stage.
template <class Fn>
Adaptor<Fn> make_adaptor(Fn fn) {
  return Adaptor<Fn>(std::move(fn));
}

}  // namespace detail

}  // namespace troupe::stream
