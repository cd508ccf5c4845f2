#pragma once

// Waiting for a child process to exit on the event itself: a pidfd becomes
// readable when the process exits, so poll waits for that, with a timeout,
// instead of checking every few milliseconds.

#include <cerrno>
#include <chrono>
#include <optional>

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace troupe::test {

/// Waits up to `timeout` for the child `pid` to exit and reaps it: its
/// wait status (for WIFEXITED and the like), or nullopt if it is still
/// running (it is then not reaped).
inline std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int ready = 0;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{pidfd, POLLIN, 0};
    ready = ::poll(&p, 1, static_cast<int>(left.count() > 0 ? left.count() : 0));
    if (ready >= 0 || errno != EINTR) break;
  }
  ::close(pidfd);
  if (ready <= 0) return std::nullopt;
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != pid) return std::nullopt;
  return status;
}

}  // namespace troupe::test
