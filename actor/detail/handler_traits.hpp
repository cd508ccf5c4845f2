#pragma once

#include <type_traits>
#include <utility>

#include <troupe/runtime/task.hpp>

namespace troupe::detail {

/// True if actor class A has a handler for message type M:
/// `handle(const M&)`, `handle(M)` or `handle(M&&)`.
template <class A, class M>
concept Handles = requires(A& a, M&& m) {
  a.handle(std::move(m));
};

/// What A's handler for M returns: void, a value, Task<void> or Task<R>.
template <class A, class M>
using HandlerResult = decltype(std::declval<A&>().handle(std::declval<M&&>()));

template <class R>
struct Unwrap {
  using type = R;
  static constexpr bool kIsTask = false;
};
template <class R>
struct Unwrap<Task<R>> {
  using type = R;
  static constexpr bool kIsTask = true;
};

/// The reply an ask of M gets from A: the handler's result, through a Task.
template <class A, class M>
using ReplyOf = typename Unwrap<HandlerResult<A, M>>::type;

/// True if A's handler for M is a coroutine (returns a Task).
template <class A, class M>
inline constexpr bool kHandlerIsTask = Unwrap<HandlerResult<A, M>>::kIsTask;

}  // namespace troupe::detail
