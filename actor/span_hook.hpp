#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/trace_context.hpp>

namespace troupe {

/// One finished span: a handler that ran for a message sent under a
/// sampled trace (see TraceContext). The views are valid during the hook's
/// call only. A plain value.
struct SpanRecord {
  TraceId trace_id{};
  SpanId span_id{};                 // the handler's own span (current_trace() in it)
  SpanId parent_span_id{};          // the sender's span
  ActorId actor = 0;                // the actor that ran the handler
  std::string_view actor_type{};    // its class, demangled ("chat::Room")
  std::string_view message_type{};  // the message's type, demangled ("bank::Deposit")
  /// When the handler was called, and when it returned (a coroutine
  /// handler: when it finished, suspensions included).
  std::chrono::system_clock::time_point start{};
  std::chrono::system_clock::time_point end{};
  bool threw = false;  // the handler ended with an exception
};

/// Where finished spans go: one hook for the whole process, for an
/// exporter (OpenTelemetry, Zipkin: see the README's "Trace ids"). Called
/// on the worker thread that ran the handler, right after it, from many
/// threads at once: it must be thread-safe, and should be quick (queue the
/// span and export it elsewhere). Spans of unsampled traces, and of
/// coroutine handlers cancelled by a stop, are not reported.
using SpanHook = std::function<void(const SpanRecord&)>;

/// Replaces the process-wide hook; an empty one (the default) reports
/// nothing, and then spans cost no clock reads. Thread-safe.
void set_span_hook(SpanHook hook);

}  // namespace troupe
