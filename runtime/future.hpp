#pragma once

#include <concepts>

#include <troupe/runtime/context.hpp>

namespace troupe {

/// A leaf future: the point where a task actually waits (a timer, a channel,
/// a socket, a JoinHandle). Like Rust's `Future::poll`:
///
///   bool poll(Context& cx) noexcept;   // true: ready, await_resume() may run
///                                      // false: cx's Waker is registered and
///                                      // will fire once progress is possible
///   T await_resume();                  // the value (called once, after ready)
///
/// A `co_await` of a Future inside a Task polls it once; if it is not ready the
/// task suspends, and the worker polls it again on every wake until it is.
/// Spurious and stale wakes are therefore harmless: the coroutine itself is
/// only resumed when its future is ready. poll() must register the waker
/// before it re-checks readiness, so that a wake cannot fall between the two.
/// Destroying a pending future must deregister its waker (cancellation).
template <class F>
concept Future = requires(F& f, Context& cx) {
  { f.poll(cx) }
  noexcept->std::same_as<bool>;
  f.await_resume();
};

}  // namespace troupe
