// Traced handlers: the span of each (HandlerSpan), and the actor loop's
// part in keeping a coroutine handler's span current across its polls.

#include <cstdlib>
#include <memory>
#include <string>

#include <cxxabi.h>

#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/cell_extras.hpp>
#include <troupe/actor/detail/envelope.hpp>
#include <troupe/actor/detail/handler_span.hpp>
#include <troupe/actor/detail/span_hook_call.hpp>

namespace troupe::detail {

namespace {

std::string demangled(const std::type_info& t) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> s(abi::__cxa_demangle(t.name(), nullptr, nullptr, &status),
                                           std::free);
  return status == 0 && s ? std::string(s.get()) : std::string(t.name());
}

}  // namespace

HandlerSpan::HandlerSpan(const TraceContext& parent, ActorId actor,
                         const std::type_info& actor_type, const std::type_info& message_type)
    : context_(parent.child()),
      parent_(parent.span_id()),
      actor_(actor),
      actor_type_(&actor_type),
      message_type_(&message_type) {
  if (context_.sampled() && span_hook_set()) start_ = std::chrono::system_clock::now();
}

HandlerSpan* HandlerSpan::begin(const EnvelopeBase& e, ActorId actor,
                                const std::type_info& actor_type) noexcept {
  try {
    auto* span = new HandlerSpan(*e.trace(), actor, actor_type, e.type());
    span->resume();
    return span;
  } catch (...) {  // no memory (or no entropy for the span id): untraced
    return nullptr;
  }
}

void HandlerSpan::end(bool threw, bool current) noexcept {
  if (current) pause();
  std::unique_ptr<HandlerSpan> self(this);
  if (start_ == std::chrono::system_clock::time_point{}) return;  // no hook at its start
  try {
    SpanRecord record;
    record.end = std::chrono::system_clock::now();
    record.start = start_;
    record.trace_id = context_.trace_id();
    record.span_id = context_.span_id();
    record.parent_span_id = parent_;
    record.actor = actor_;
    const std::string actor_type = demangled(*actor_type_);
    const std::string message_type = demangled(*message_type_);
    record.actor_type = actor_type;
    record.message_type = message_type;
    record.threw = threw;
    report_span(record);
  } catch (...) {  // no memory for the names: the span is lost, nothing else
  }
}

// --- The actor loop's side (ActorCellBase, see lifecycle.cpp) -----------------------

// Acquire loads of extras_: see ActorCellBase::extras().

HandlerSpan* ActorCellBase::running_span() const noexcept {
  CellExtras* x = extras_.load(std::memory_order_acquire);
  return x ? x->span.get() : nullptr;
}

void ActorCellBase::deliver_traced(EnvelopeBase& e) {
  HandlerSpan* span = HandlerSpan::begin(e, id_, actor_type());
  Task<void> t;
  try {
    t = deliver(e);
  } catch (...) {
    if (span) span->end(/*threw=*/true, /*current=*/true);
    throw;
  }
  if (t) run_task(std::move(t));
  if (span == nullptr) return;
  if (!handler_running()) return span->end(/*threw=*/false, /*current=*/true);
  // A coroutine handler: it has not run yet; it runs, and its span is made
  // current, on each poll (see poll), until finish_handler ends it.
  span->pause();
  try {
    extras().span.reset(span);
  } catch (...) {  // no memory for the extras: the handler runs untraced
    delete span;
  }
}

void ActorCellBase::end_running_span(bool threw) noexcept {
  CellExtras* x = extras_.load(std::memory_order_acquire);
  if (x && x->span) x->span.release()->end(threw, /*current=*/false);
}

void ActorCellBase::drop_span() noexcept {
  CellExtras* x = extras_.load(std::memory_order_acquire);
  if (x && x->span) x->span.reset();
}

}  // namespace troupe::detail
