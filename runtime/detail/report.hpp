#pragma once

#include <exception>

namespace troupe::detail {

/// A task failed and nobody will ever look at its JoinHandle: say so on
/// stderr (or to the hook set with troupe::set_unobserved_failure_hook)
/// rather than lose the error silently.
void report_unobserved_failure(std::exception_ptr e) noexcept;

}  // namespace troupe::detail
