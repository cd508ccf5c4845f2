#pragma once

#include <exception>
#include <functional>

namespace troupe {

/// Called with the exception of a task that failed after its JoinHandle was
/// detached or dropped, so the error is never lost silently. The default
/// prints the exception's what() to stderr. Set it before starting runtimes;
/// it may be called from any worker thread.
using UnobservedFailureHook = std::function<void(std::exception_ptr)>;
void set_unobserved_failure_hook(UnobservedFailureHook hook);

}  // namespace troupe
