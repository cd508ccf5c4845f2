#pragma once

#include <chrono>
#include <typeinfo>
#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/detail/current_trace.hpp>
#include <troupe/actor/trace_context.hpp>
#include <troupe/runtime/detail/block_pool.hpp>

namespace troupe::detail {

class EnvelopeBase;

/// The span of one traced handler: the handler's own trace context (a
/// child of the one its envelope carried), made current on this thread
/// while the handler runs, and what the span hook is told when it ends.
///
/// Made by the actor's loop when it takes an envelope that carries a trace
/// (ActorCellBase::poll, lifecycle.cpp); for a coroutine handler, kept in
/// the cell's extras until the handler finishes, and made current again on
/// each poll of it, whichever worker polls. Owned by the loop; touched by
/// the actor's loop only.
class HandlerSpan final : public PooledObject {
 public:
  /// The span of `e`'s handler (`e` carries a trace), current on this
  /// thread from now until pause() or end(); nullptr if there is no memory
  /// for it (the handler runs untraced).
  [[gnu::cold]] static HandlerSpan* begin(const EnvelopeBase& e, ActorId actor,
                                          const std::type_info& actor_type) noexcept;
  /// Current again on this thread (a coroutine handler is polled).
  void resume() noexcept { previous_ = std::exchange(tls_trace, &context_); }
  /// Back to what was current before begin() or resume().
  void pause() noexcept { tls_trace = previous_; }
  /// The handler finished (`threw`: with an exception). Pauses if
  /// `current`, tells the span hook (sampled traces only) and frees this.
  void end(bool threw, bool current) noexcept;

 private:
  HandlerSpan(const TraceContext& parent, ActorId actor, const std::type_info& actor_type,
              const std::type_info& message_type);

  TraceContext context_;  // the handler's
  SpanId parent_;         // the sender's span
  ActorId actor_;
  const std::type_info* actor_type_;
  const std::type_info* message_type_;
  std::chrono::system_clock::time_point start_{};  // set when a hook is
  const TraceContext* previous_ = nullptr;
};

}  // namespace troupe::detail
