#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/inline_task.hpp>
#include <troupe/runtime/future.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe {

namespace detail {

// What select() keeps for one argument: a Task is driven in place; a Future
// passed as an rvalue is owned; one passed as an lvalue is borrowed.
template <class A>
struct SelectArm {
  using type = std::remove_cvref_t<A>;
};
template <class A>
requires std::is_lvalue_reference_v<A>
struct SelectArm<A> {
  using type = A;
};
template <class U>
struct SelectArm<Task<U>> {
  using type = InlineTask<U>;
};
template <class U>
struct SelectArm<Task<U>&&> {
  using type = InlineTask<U>;
};

// The value an arm produces, with void as std::monostate (a variant
// alternative cannot be void).
template <class F>
using ArmResult = decltype(std::declval<std::remove_reference_t<F>&>().await_resume());
template <class R>
using VariantSlot = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

// What select() and Turns::select() accept as an argument.
template <class A>
concept Selectable = Future<std::remove_reference_t<A>> || IsTask<std::remove_cvref_t<A>>::value;

// The variant a select over these (stored) arms gives.
template <class... Arms>
using SelectResult = std::variant<VariantSlot<ArmResult<Arms>>...>;

// The value of the arm `winner` of `arms` (which must be ready), as that
// alternative of R; rethrows what the arm threw. Shared by the selects, so
// that the biased and the fair one hand out a winner the same way.
template <class R, std::size_t I = 0, class Tuple>
R take_winner(Tuple& arms, std::size_t winner) {
  if constexpr (I + 1 < std::tuple_size_v<Tuple>) {
    if (winner != I) return take_winner<R, I + 1>(arms, winner);
  }
  if constexpr (std::is_void_v<ArmResult<std::tuple_element_t<I, Tuple>>>) {
    std::get<I>(arms).await_resume();
    return R(std::in_place_index<I>);
  } else {
    return R(std::in_place_index<I>, std::get<I>(arms).await_resume());
  }
}

}  // namespace detail

/// The Future behind `co_await select(a, b, ...)`: ready as soon as one of
/// its arms is, with that arm's value in a std::variant whose index says
/// which arm won (void results appear as std::monostate).
///
/// Arms are Futures or Tasks. A Task arm runs in place, inside the awaiting
/// task (no spawn); a Future given as an rvalue is owned, one given as an
/// lvalue is borrowed (it must outlive the select). Arms are polled in
/// argument order, so when several are ready at once the first one wins:
/// select is biased (Tokio's `biased;`). That is what a priority wants (a
/// shutdown signal before work, a timer only when all else is quiet), but a
/// loop that keeps selecting over busy sources starves the later ones: for
/// that, Turns (turns.hpp) starts each select after the last winner.
///
/// The losers are cancelled safely when the Select is destroyed (for
/// `co_await select(...)`, at the end of that statement): their frames and
/// registrations go, and what they had not completed is not lost — a
/// stream's `next()` leaves its item in the stream, a channel's pending
/// receive takes nothing. If the winner's value throws, `co_await` rethrows.
///
/// Neither copyable nor movable once polled; polled by one task.
template <class... Arms>
class [[nodiscard]] Select {
 public:
  using result_type = detail::SelectResult<Arms...>;

  template <class... Args>
  explicit Select(Args&&... args) : arms_(std::forward<Args>(args)...) {}
  Select(const Select&) = delete;
  Select& operator=(const Select&) = delete;

  bool poll(Context& cx) noexcept {
    if (winner_ != kNone) return true;
    poll_from<0>(cx);
    return winner_ != kNone;
  }

  result_type await_resume() { return detail::take_winner<result_type>(arms_, winner_); }

  /// Which arm won (valid once ready).
  std::size_t winner() const noexcept { return winner_; }

 private:
  static constexpr std::size_t kNone = sizeof...(Arms);

  template <std::size_t I>
  void poll_from(Context& cx) noexcept {
    if constexpr (I < sizeof...(Arms)) {
      if (std::get<I>(arms_).poll(cx)) {
        winner_ = I;
      } else {
        poll_from<I + 1>(cx);
      }
    }
  }

  std::tuple<Arms...> arms_;
  std::size_t winner_ = kNone;
};

/// Waits for the first of several Futures or Tasks; see Select.
///
///   auto r = co_await troupe::select(mailbox.next(), troupe::sleep_for(1s));
///   if (r.index() == 1) ...timed out...
///   else if (auto& msg = std::get<0>(r)) ...a message...
template <class... Args>
requires(sizeof...(Args) >= 1 &&
         (detail::Selectable<Args> &&
          ...)) Select<typename detail::SelectArm<Args&&>::type...> select(Args&&... args) {
  return Select<typename detail::SelectArm<Args&&>::type...>(std::forward<Args>(args)...);
}

/// The Future behind `co_await race(a, b, ...)`: like select, for arms that
/// all produce the same type, giving the winner's value itself.
template <class... Arms>
class [[nodiscard]] Race {
 public:
  using value_type = detail::ArmResult<std::tuple_element_t<0, std::tuple<Arms...>>>;

  template <class... Args>
  explicit Race(Args&&... args) : select_(std::forward<Args>(args)...) {}

  bool poll(Context& cx) noexcept { return select_.poll(cx); }
  value_type await_resume() {
    if constexpr (std::is_void_v<value_type>) {
      (void)select_.await_resume();
    } else {
      return std::visit([](auto&& v) -> value_type { return std::move(v); },
                        select_.await_resume());
    }
  }
  /// Which arm won (valid once ready).
  std::size_t winner() const noexcept { return select_.winner(); }

 private:
  Select<Arms...> select_;
};

/// Waits for the first of several Futures or Tasks that all produce the same
/// type, and gives its value; the others are cancelled as in select.
template <class... Args>
requires(sizeof...(Args) >= 1 &&
         (std::is_same_v<detail::ArmResult<typename detail::SelectArm<Args&&>::type>,
                         detail::ArmResult<typename detail::SelectArm<
                             std::tuple_element_t<0, std::tuple<Args&&...>>>::type>> &&
          ...)) Race<typename detail::SelectArm<Args&&>::type...> race(Args&&... args) {
  return Race<typename detail::SelectArm<Args&&>::type...>(std::forward<Args>(args)...);
}

}  // namespace troupe
