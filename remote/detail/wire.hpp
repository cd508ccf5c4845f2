#pragma once

#include <optional>

#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/exit_reason.hpp>
#include <troupe/actor/trace_context.hpp>
#include <troupe/v1/envelope.pb.h>

namespace troupe::remote::detail {

// How the framework's own values travel between nodes, and back.

/// What an AskFailure code from the wire means here.
AskError ask_error_of(v1::AskFailure::Code code) noexcept;
v1::AskFailure::Code wire_code_of(AskError e) noexcept;

/// An exit reason on the wire: its kind and, for failures, the message of
/// the exception (the exception itself cannot cross).
v1::ExitReason to_wire(const ExitReason& r);
/// The reason a remote Down carries; a failure's message comes back as a
/// std::runtime_error.
ExitReason from_wire(const v1::ExitReason& r);

/// A trace context on the wire (Envelope.trace): ids as bytes, flags.
void trace_to_wire(const TraceContext& t, v1::Envelope& e);
/// The trace an envelope from the wire carries: none if it has none, or
/// if its ids are not 16 and 8 bytes or are all zeros (from a broken or
/// hostile peer: the message is delivered untraced).
std::optional<TraceContext> trace_from_wire(const v1::Envelope& e) noexcept;

}  // namespace troupe::remote::detail
