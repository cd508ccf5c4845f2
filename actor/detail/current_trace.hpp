#pragma once

#include <troupe/actor/trace_context.hpp>
#include <troupe/runtime/detail/block_pool.hpp>

namespace troupe::detail {

/// This thread's current trace (troupe::current_trace): null when
/// untraced. Set by TraceScope, and by an actor's loop around each run of
/// a traced handler (HandlerSpan); what it points at outlives the setting.
/// Constant-initialized, so that reading it is one load (no TLS wrapper).
extern constinit thread_local const TraceContext* tls_trace;

/// The trace an envelope sent under one carries: a copy of the sender's
/// context in a pooled block (made on the sender's thread, freed on the
/// actor's), so that an untraced envelope pays one null pointer only.
struct EnvelopeTrace final : PooledObject {
  explicit EnvelopeTrace(const TraceContext& c) noexcept : context(c) {}
  TraceContext context;
};

/// A copy of *tls_trace for an envelope (which must be set); nullptr if
/// there is no memory for it (the message goes untraced). Out of line: the
/// untraced path stays one load and a branch.
[[gnu::cold]] EnvelopeTrace* capture_trace() noexcept;

}  // namespace troupe::detail
