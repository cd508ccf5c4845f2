#include <atomic>
#include <memory>
#include <mutex>
#include <utility>

#include <troupe/actor/detail/span_hook_call.hpp>
#include <troupe/actor/span_hook.hpp>

namespace troupe {

namespace {

// As the log hook (runtime/log.cpp): copied out under the lock and called
// outside it, so that a slow hook never holds up another thread's spans.
std::mutex hook_mutex;
std::shared_ptr<const SpanHook> current_hook;
// Whether there is a hook at all: read once per traced handler, so that
// spans nobody takes cost no clock reads.
std::atomic<bool> hook_set{false};

}  // namespace

void set_span_hook(SpanHook hook) {
  auto next = hook ? std::make_shared<const SpanHook>(std::move(hook)) : nullptr;
  std::lock_guard lock(hook_mutex);
  hook_set.store(next != nullptr, std::memory_order_relaxed);
  current_hook = std::move(next);
}

namespace detail {

bool span_hook_set() noexcept { return hook_set.load(std::memory_order_relaxed); }

void report_span(const SpanRecord& record) noexcept {
  std::shared_ptr<const SpanHook> hook;
  {
    std::lock_guard lock(hook_mutex);
    hook = current_hook;
  }
  try {
    if (hook) (*hook)(record);
  } catch (...) {  // a failing hook must not take the actor down
  }
}

}  // namespace detail

}  // namespace troupe
