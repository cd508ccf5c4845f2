#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>

#include <troupe/runtime/clock.hpp>

namespace troupe {

/// What a supervisor does with a child that failed (a handler threw).
enum class Directive {
  kRestart,   // a fresh instance of the child, same ref and mailbox
  kStop,      // the child stops with ExitReason::failed
  kEscalate,  // the supervisor fails itself with the child's error
};

/// How an actor supervises the children it spawned: which children a
/// failure affects, what to do, and how often restarting is allowed.
///
/// An actor chooses its strategy by defining
/// `static troupe::SupervisorStrategy supervisor_strategy()`; the default
/// is one-for-one restart, at most 3 restarts in 5 seconds. When the limit
/// is passed, the supervisor escalates instead (it fails itself). A plain
/// value; its decider must be thread-safe if shared.
struct SupervisorStrategy {
  enum class Scope {
    kOneForOne,  // only the failed child
    kAllForOne,  // every child of the supervisor restarts (or stops) with it
  };
  Scope scope = Scope::kOneForOne;
  /// The decision for a failure; empty means "always restart".
  std::function<Directive(const std::exception_ptr&)> decider;
  /// Restart intensity: more than `max_restarts` within `within` escalates.
  /// All-for-one counts restarts of the group: children that fail before
  /// the restart one of them caused has reached them are answered by that
  /// restart and count once, as in Erlang's one_for_all.
  std::size_t max_restarts = 3;
  Duration within = std::chrono::seconds(5);

  static SupervisorStrategy one_for_one(std::size_t max_restarts = 3,
                                        Duration within = std::chrono::seconds(5)) {
    return {Scope::kOneForOne, {}, max_restarts, within};
  }
  static SupervisorStrategy all_for_one(std::size_t max_restarts = 3,
                                        Duration within = std::chrono::seconds(5)) {
    return {Scope::kAllForOne, {}, max_restarts, within};
  }
  /// The same strategy deciding with `d` instead of always restarting.
  SupervisorStrategy with_decider(std::function<Directive(const std::exception_ptr&)> d) && {
    decider = std::move(d);
    return std::move(*this);
  }

  Directive decide(const std::exception_ptr& e) const {
    return decider ? decider(e) : Directive::kRestart;
  }
};

}  // namespace troupe
