#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <troupe/runtime/expected.hpp>

namespace troupe {

/// A trace's id: 16 bytes, never all zero (W3C Trace Context).
using TraceId = std::array<std::uint8_t, 16>;
/// A span's id: 8 bytes, never all zero.
using SpanId = std::array<std::uint8_t, 8>;

/// Lowercase hex, as in a traceparent: 32 digits for a trace id, 16 for a span id.
std::string to_hex(const TraceId& id);
std::string to_hex(const SpanId& id);

/// Why parse_traceparent refused its input.
enum class TraceparentError : std::uint8_t {
  kLength,       // not 55 characters (version 00), or too short
  kFormat,       // a dash missing where the fields meet
  kNotHex,       // a field with a character other than 0-9, a-f (uppercase too)
  kVersion,      // version ff, which is invalid by definition
  kZeroTraceId,  // the trace id is all zeros
  kZeroSpanId,   // the parent (span) id is all zeros
};

/// A sentence: "the trace id is all zeros", ...
const char* to_string(TraceparentError e) noexcept;

/// `parse_traceparent(s).value()` on a malformed string throws
/// std::invalid_argument with the reason.
template <>
struct ErrorTraits<TraceparentError> {
  [[noreturn]] static void raise(TraceparentError e) {
    throw std::invalid_argument(std::string("troupe: not a traceparent: ") + to_string(e));
  }
};

/// The W3C trace context of a request (https://www.w3.org/TR/trace-context/):
/// the trace it belongs to, the span (one step of it) that is running or
/// that sent a message, and its flags (sampled). What an envelope carries
/// from `tell`/`ask` to the handler, across nodes too, so that a log line or
/// a span in a handler can name the request that caused it; read in a
/// handler with current_trace(), set outside actors with TraceScope.
///
/// A plain value (25 bytes): copy it freely; as thread-safe as an int. Its
/// ids are never all zero when made by start(), child() or
/// parse_traceparent; the constructor takes them as given.
class TraceContext {
 public:
  /// The flag that says the trace is recorded (W3C "sampled"): spans of
  /// handlers under an unsampled context are not reported to the span hook.
  static constexpr std::uint8_t kSampled = 0x01;

  TraceContext(const TraceId& trace_id, const SpanId& span_id,
               std::uint8_t flags = kSampled) noexcept
      : trace_id_(trace_id), span_id_(span_id), flags_(flags) {}

  /// A new trace: random trace and span ids (a thread-local generator
  /// seeded from std::random_device). Thread-safe.
  static TraceContext start(bool sampled = true);
  /// The next step of this trace: the same trace id and flags, a new
  /// random span id (whose parent is this one's span).
  TraceContext child() const;

  const TraceId& trace_id() const noexcept { return trace_id_; }
  /// The span this context names: in a handler, the handler's own span;
  /// in an envelope, the sender's (the parent of the handler's).
  const SpanId& span_id() const noexcept { return span_id_; }
  std::uint8_t flags() const noexcept { return flags_; }
  bool sampled() const noexcept { return (flags_ & kSampled) != 0; }

  /// The W3C traceparent header: "00-<32 hex>-<16 hex>-<2 hex>".
  std::string to_traceparent() const;

  friend bool operator==(const TraceContext&, const TraceContext&) = default;

 private:
  TraceId trace_id_;
  SpanId span_id_;
  std::uint8_t flags_;
};

/// Parses a W3C traceparent header. Refuses (never crashes on) anything
/// malformed: a wrong length, missing dashes, a non-hex or uppercase digit,
/// version ff, an all-zero trace or span id. A version above 00 is read as
/// 00 (its first 55 characters, then a dash or the end), as the
/// specification asks.
Expected<TraceContext, TraceparentError> parse_traceparent(std::string_view text) noexcept;

/// The trace of what runs on this thread now: in a handler of a message
/// sent under a trace, the handler's own context (the same trace id as the
/// sender's, a new span id whose parent is the sender's span), across its
/// suspension points too; inside a TraceScope, its context; else none.
/// Every `tell` and `ask` made while there is one carries it to the next
/// handler (and to another node). Thread-safe (it is this thread's).
std::optional<TraceContext> current_trace() noexcept;

}  // namespace troupe
