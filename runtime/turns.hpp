#pragma once

#include <cstddef>
#include <tuple>
#include <utility>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/select.hpp>

namespace troupe {

class Turns;

/// The Future behind `co_await turns.select(a, b, ...)`: a select that polls
/// its arms starting at the one its Turns says, wrapping around, instead of
/// always at the first. Everything else is select's (see Select): the same
/// arms (Task arms run in place; rvalue Futures owned, lvalues borrowed),
/// the same std::variant result, whose index is the argument position of
/// the winner whatever the poll order, and the same cancellation (losers
/// destroyed with it, losing nothing).
///
/// Borrows its Turns, which must outlive it, and tells it the winner when
/// it becomes ready. Movable until first polled (so that it can itself be
/// an owned arm of a select), then neither; polled by one task.
template <class... Arms>
class [[nodiscard]] FairSelect {
 public:
  using result_type = detail::SelectResult<Arms...>;

  FairSelect(FairSelect&&) = default;
  FairSelect(const FairSelect&) = delete;
  FairSelect& operator=(const FairSelect&) = delete;

  bool poll(Context& cx) noexcept;

  result_type await_resume() { return detail::take_winner<result_type>(arms_, winner_); }

  /// Which arm won, as its argument position (valid once ready).
  std::size_t winner() const noexcept { return winner_; }

 private:
  friend class Turns;

  template <class... Args>
  FairSelect(Turns& turns, std::size_t start, Args&&... args)
      : arms_(std::forward<Args>(args)...), turns_(&turns), start_(start) {}

  static constexpr std::size_t kArms = sizeof...(Arms);
  static constexpr std::size_t kNone = kArms;

  template <std::size_t... I>
  bool poll_arm(std::size_t i, Context& cx, std::index_sequence<I...>) noexcept {
    bool ready = false;
    (void)((i == I && ((ready = std::get<I>(arms_).poll(cx)), true)) || ...);
    return ready;
  }

  std::tuple<Arms...> arms_;
  Turns* turns_;
  std::size_t start_;
  std::size_t winner_ = kNone;
};

/// Takes turns among the arms of a select that a loop repeats: keep one
/// Turns across the iterations, and `co_await turns.select(a, b, ...)`
/// polls the arms starting at the one after the last winner (round robin),
/// so that a source which is always ready cannot starve the others: an arm
/// that stays ready wins within N calls (N arms), and the arms that stay
/// ready share the wins evenly (two always-ready arms alternate).
///
///   troupe::Turns turns;
///   for (;;) {
///     auto r = co_await turns.select(lines.next(), mailbox.next());
///     switch (r.index()) {
///       case 0: ...std::get<0>(r), a line...; break;
///       case 1: ...std::get<1>(r), a message...; break;
///     }
///   }
///
/// Why after the last winner and not a start that moves by one at every
/// call: with a start that moves by one, an arm that is not ready hands its
/// turn to the arm after it, which then wins twice as often as the others
/// (arms a, never, b: b wins 2 calls in 3). Starting after the winner gives
/// the arms that are ready equal shares whatever the others do, like Go's
/// select, but deterministically (no random source; tests can count).
///
/// The rotation only concerns arms that are ready at the same time; use
/// plain select where an order is wanted (a timer that only matters when
/// all else is quiet goes last in a select around the fair one:
/// `select(turns.select(a, b), timer)`). A Turns is meant for one loop over
/// one list of arms (its count of arms may change: the start wraps).
///
/// A plain value (one index), owned by the looping task or its object; not
/// thread-safe, and one select on it at a time (the select borrows it).
class Turns {
 public:
  Turns() = default;

  /// Waits for the first of several Futures or Tasks, starting after the
  /// last winner; see FairSelect.
  template <class... Args>
  requires(sizeof...(Args) >= 1 && (detail::Selectable<Args> && ...))
      FairSelect<typename detail::SelectArm<Args&&>::type...> select(Args&&... args) {
    return FairSelect<typename detail::SelectArm<Args&&>::type...>(*this, next_ % sizeof...(Args),
                                                                   std::forward<Args>(args)...);
  }

  /// The argument position the next select starts polling at (before it is
  /// reduced to that select's count of arms).
  std::size_t next() const noexcept { return next_; }

 private:
  template <class...>
  friend class FairSelect;

  std::size_t next_ = 0;
};

template <class... Arms>
bool FairSelect<Arms...>::poll(Context& cx) noexcept {
  if (winner_ != kNone) return true;
  for (std::size_t k = 0; k < kArms; ++k) {
    const std::size_t i = (start_ + k) % kArms;
    if (poll_arm(i, cx, std::index_sequence_for<Arms...>{})) {
      winner_ = i;
      // Told at once, not in await_resume: the winner has taken its item
      // from its source now, whether or not the value is ever asked for.
      turns_->next_ = (i + 1) % kArms;
      return true;
    }
  }
  return false;
}

}  // namespace troupe
