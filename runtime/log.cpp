#include <cstdio>
#include <memory>
#include <mutex>
#include <utility>

#include <troupe/runtime/log.hpp>

namespace troupe {

namespace {

// The hook is copied out under the lock and called outside it, so that a
// slow hook never holds up another thread's logging, and a hook may log.
std::mutex hook_mutex;
std::shared_ptr<const LogHook> current_hook;

void write_to_stderr(const LogRecord& r) {
  if (r.level == LogLevel::kDebug) return;
  // One fprintf per line: stdio's lock keeps lines from different threads whole.
  std::fprintf(stderr, "troupe %s [%.*s] %.*s\n", to_string(r.level),
               static_cast<int>(r.component.size()), r.component.data(),
               static_cast<int>(r.message.size()), r.message.data());
}

}  // namespace

const char* to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

void set_log_hook(LogHook hook) {
  auto next = hook ? std::make_shared<const LogHook>(std::move(hook)) : nullptr;
  std::lock_guard lock(hook_mutex);
  current_hook = std::move(next);
}

void log(LogLevel level, std::string_view component, std::string_view message) noexcept {
  std::shared_ptr<const LogHook> hook;
  {
    std::lock_guard lock(hook_mutex);
    hook = current_hook;
  }
  const LogRecord record{level, component, message};
  try {
    if (hook) {
      (*hook)(record);
    } else {
      write_to_stderr(record);
    }
  } catch (...) {  // a failing hook must not take its caller down
  }
}

}  // namespace troupe
