#pragma once

#include <cstdint>
#include <optional>
#include <system_error>

#include <troupe/runtime/clock.hpp>

namespace troupe::detail {

/// Something registered with the reactor: told which epoll events fired.
/// The object must stay at the same address until deregistered.
class IoHandler {
 public:
  virtual void on_io_event(std::uint32_t epoll_events) noexcept = 0;

 protected:
  ~IoHandler() = default;
};

/// The epoll instance of one runtime, plus an eventfd to interrupt a wait.
///
/// `poll` is called by the single driver thread; `add`, `remove` and
/// `interrupt` are thread-safe (epoll_ctl is). File descriptors are
/// registered once, edge-triggered, for both directions (the mio/Tokio way):
/// readiness is remembered by the handler until an operation hits EAGAIN.
class Reactor {
 public:
  Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;
  ~Reactor();

  std::error_code add(int fd, IoHandler& handler) noexcept;
  void remove(int fd) noexcept;
  /// Makes a blocked or the next `poll` return at once.
  void interrupt() noexcept;
  /// Waits for events until `deadline` (forever if empty) and dispatches
  /// them. Returns early on interrupt().
  void poll(std::optional<Instant> deadline, Instant now);

 private:
  int epoll_fd_ = -1;
  int event_fd_ = -1;
};

}  // namespace troupe::detail
