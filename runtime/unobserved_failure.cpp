#include <cstdio>
#include <mutex>
#include <utility>

#include <troupe/runtime/detail/report.hpp>
#include <troupe/runtime/unobserved_failure.hpp>

namespace troupe {
namespace {
std::mutex hook_mutex;
UnobservedFailureHook hook;
}  // namespace

void set_unobserved_failure_hook(UnobservedFailureHook h) {
  std::lock_guard lock(hook_mutex);
  hook = std::move(h);
}

namespace detail {
void report_unobserved_failure(std::exception_ptr e) noexcept {
  {
    std::lock_guard lock(hook_mutex);
    if (hook) {
      try {
        hook(e);
      } catch (...) {
      }
      return;
    }
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "troupe: a detached task failed: %s\n", ex.what());
  } catch (...) {
    std::fprintf(stderr, "troupe: a detached task failed with a non-standard exception\n");
  }
}
}  // namespace detail
}  // namespace troupe
