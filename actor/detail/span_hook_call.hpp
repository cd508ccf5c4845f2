#pragma once

#include <troupe/actor/span_hook.hpp>

namespace troupe::detail {

/// True if a span hook is set (a relaxed read: a hook set meanwhile gets
/// the spans that start after it). Thread-safe.
bool span_hook_set() noexcept;

/// Calls the span hook, if any, with `record`; a hook that throws is
/// ignored. Thread-safe.
void report_span(const SpanRecord& record) noexcept;

}  // namespace troupe::detail
