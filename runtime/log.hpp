#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace troupe {

/// How much a line of the framework's log matters.
enum class LogLevel : std::uint8_t {
  kDebug,    // detail for whoever debugs the framework; dropped by default
  kInfo,     // what happened: a peer connected, a member joined
  kWarning,  // something refused or lost, handled: a stranger refused, a lease lost
  kError,    // something failed: an actor stopped by an exception
};

/// "debug", "info", "warning", "error".
const char* to_string(LogLevel level) noexcept;

/// One line of the framework's log. The views are valid during the call
/// only. A plain value.
struct LogRecord {
  LogLevel level = LogLevel::kInfo;
  /// Which part wrote it, and which instance: "actor", "remote
  /// 127.0.0.1:7001", "cluster shop (127.0.0.1:7001)", "chat".
  std::string_view component{};
  std::string_view message{};
};

/// Where the framework's log lines go: one hook for the whole process.
/// Called on whichever thread logs (runtime workers included), from many
/// at once: it must be thread-safe, and should not block for long.
using LogHook = std::function<void(const LogRecord&)>;

/// Replaces the process-wide hook; an empty one restores the default,
/// which writes "troupe <level> [<component>] <message>" lines to stderr
/// and drops kDebug. Thread-safe. (A node, a cluster or an actor system
/// given its own `log` option sends its lines there instead.)
void set_log_hook(LogHook hook);

/// Writes one line through the hook. Thread-safe; a hook that throws is
/// ignored (logging never takes its caller down).
void log(LogLevel level, std::string_view component, std::string_view message) noexcept;

}  // namespace troupe
