#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include <troupe/remote/detail/wire.hpp>

namespace troupe::remote::detail {

AskError ask_error_of(v1::AskFailure::Code code) noexcept {
  switch (code) {
    case v1::AskFailure::TIMEOUT:
      return AskError::kTimeout;
    case v1::AskFailure::DEAD_ACTOR:
      return AskError::kDeadActor;
    case v1::AskFailure::MAILBOX_FULL:
      return AskError::kMailboxFull;
    case v1::AskFailure::HANDLER_FAILED:
      return AskError::kFailed;
    case v1::AskFailure::UNDECODABLE:
      return AskError::kBadMessage;
    case v1::AskFailure::UNREACHABLE:
      return AskError::kUnreachable;
    default:
      return AskError::kBadMessage;  // a code from a newer node
  }
}

v1::AskFailure::Code wire_code_of(AskError e) noexcept {
  switch (e) {
    case AskError::kTimeout:
      return v1::AskFailure::TIMEOUT;
    case AskError::kDeadActor:
      return v1::AskFailure::DEAD_ACTOR;
    case AskError::kMailboxFull:
      return v1::AskFailure::MAILBOX_FULL;
    case AskError::kFailed:
      return v1::AskFailure::HANDLER_FAILED;
    case AskError::kBadMessage:
      return v1::AskFailure::UNDECODABLE;
    case AskError::kUnreachable:
      return v1::AskFailure::UNREACHABLE;
  }
  return v1::AskFailure::HANDLER_FAILED;
}

namespace {

std::string message_of(const std::exception_ptr& e) {
  if (!e) return {};
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

}  // namespace

v1::ExitReason to_wire(const ExitReason& r) {
  v1::ExitReason w;
  switch (r.kind()) {
    case ExitReason::Kind::kNormal:
      w.set_kind(v1::ExitReason::NORMAL);
      break;
    case ExitReason::Kind::kStopped:
      w.set_kind(v1::ExitReason::STOPPED);
      break;
    case ExitReason::Kind::kShutdown:
      w.set_kind(v1::ExitReason::SHUTDOWN);
      break;
    case ExitReason::Kind::kFailed:
      w.set_kind(v1::ExitReason::FAILED);
      break;
    case ExitReason::Kind::kLinked:
      w.set_kind(v1::ExitReason::LINKED);
      break;
    case ExitReason::Kind::kNodeDown:
      w.set_kind(v1::ExitReason::NODE_DOWN);
      break;
  }
  w.set_error(message_of(r.error()));
  return w;
}

ExitReason from_wire(const v1::ExitReason& w) {
  auto error = [&] { return std::make_exception_ptr(std::runtime_error(w.error())); };
  switch (w.kind()) {
    case v1::ExitReason::NORMAL:
      return ExitReason::normal();
    case v1::ExitReason::STOPPED:
      return ExitReason::stopped();
    case v1::ExitReason::SHUTDOWN:
      return ExitReason::shutdown();
    case v1::ExitReason::FAILED:
      return ExitReason::failed(error());
    case v1::ExitReason::LINKED:
      return ExitReason::linked(error());
    case v1::ExitReason::NODE_DOWN:
      return ExitReason::node_down(error());
    default:
      return ExitReason::failed(error());  // a kind from a newer node
  }
}

void trace_to_wire(const TraceContext& t, v1::Envelope& e) {
  v1::TraceParent& wire = *e.mutable_trace();
  wire.set_trace_id(t.trace_id().data(), t.trace_id().size());
  wire.set_span_id(t.span_id().data(), t.span_id().size());
  wire.set_flags(t.flags());
}

std::optional<TraceContext> trace_from_wire(const v1::Envelope& e) noexcept {
  if (!e.has_trace()) return std::nullopt;
  const v1::TraceParent& wire = e.trace();
  TraceId trace{};
  SpanId span{};
  if (wire.trace_id().size() != trace.size() || wire.span_id().size() != span.size()) {
    return std::nullopt;
  }
  std::memcpy(trace.data(), wire.trace_id().data(), trace.size());
  std::memcpy(span.data(), wire.span_id().data(), span.size());
  const auto zero = [](std::uint8_t b) { return b == 0; };
  if (std::all_of(trace.begin(), trace.end(), zero) ||
      std::all_of(span.begin(), span.end(), zero)) {
    return std::nullopt;
  }
  return TraceContext(trace, span, static_cast<std::uint8_t>(wire.flags()));
}

}  // namespace troupe::remote::detail
