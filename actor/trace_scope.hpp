#pragma once

#include <optional>

#include <troupe/actor/detail/current_trace.hpp>
#include <troupe/actor/trace_context.hpp>

namespace troupe {

/// Makes a trace context the current one on this thread (see
/// current_trace) until the scope ends, then restores the one before:
/// how code outside an actor (main, a plain thread, a task) sends messages
/// under a trace.
///
///   troupe::TraceScope scope(troupe::TraceContext::start());
///   ref.tell(m);               // the handler of m sees a child of that context
///
/// `TraceScope scope(std::nullopt)` makes the code in it untraced.
///
/// Owns a copy of the context. Belongs to the thread that made it: make
/// and end it on one thread, around synchronous code (a `tell`, or the
/// call of `ask` that makes the future); a scope must not stay open across
/// a `co_await`, where the task may move to another thread (inside a
/// handler, there is no need: the actor keeps the handler's trace current
/// whenever it runs). Scopes nest. Not copyable.
class TraceScope {
 public:
  explicit TraceScope(const TraceContext& context) noexcept
      : context_(context), previous_(detail::tls_trace) {
    detail::tls_trace = &*context_;
  }
  explicit TraceScope(const std::optional<TraceContext>& context) noexcept
      : context_(context), previous_(detail::tls_trace) {
    detail::tls_trace = context_ ? &*context_ : nullptr;
  }
  ~TraceScope() { detail::tls_trace = previous_; }
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  std::optional<TraceContext> context_;
  const TraceContext* previous_;
};

}  // namespace troupe
