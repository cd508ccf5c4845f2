#pragma once

// Waiting for another process to create or write a file, on inotify's
// events rather than by reading it again every few milliseconds.

#include <chrono>
#include <filesystem>
#include <system_error>

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace troupe::test {

/// Waits up to `timeout` until `ready()` is true, calling it again
/// whenever something is created, written, renamed into or changes mode in
/// the folder of `path`, or, while that folder does not exist yet, in its
/// nearest ancestor that does (the other process makes the folders as it
/// goes). True if `ready()` was.
template <class Ready>
bool wait_for_path(const std::filesystem::path& path, Ready ready,
                   std::chrono::milliseconds timeout) {
  const int events = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (events < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool done = false;
  for (;;) {
    // Watch first, then look: a change after the look is then an event.
    std::filesystem::path dir = path.parent_path();
    std::error_code error;
    while (dir.has_relative_path() && !std::filesystem::is_directory(dir, error)) {
      dir = dir.parent_path();
    }
    ::inotify_add_watch(events, dir.c_str(),
                        IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB);
    if (ready()) {
      done = true;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{events, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
      alignas(inotify_event) char drained[4096];
      while (::read(events, drained, sizeof drained) > 0) {
      }
    }
  }
  ::close(events);
  return done;
}

}  // namespace troupe::test
