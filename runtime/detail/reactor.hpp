#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <vector>

#include <troupe/runtime/clock.hpp>

namespace troupe::detail {

class ReactorCore;

/// Something registered with the reactor for one file descriptor: told which
/// epoll events fired. Implemented by IoRegistration.
///
/// Ownership: from a successful `ReactorCore::add` until `on_released`, the
/// reactor holds the handler's address (in epoll and in its list of live
/// handlers), so the handler must stay alive until `on_released` is called.
/// After `ReactorCore::remove`, that call is deferred until the driver thread
/// can no longer be dispatching an event to it (see ReactorCore::remove).
class IoHandler {
 public:
  /// Driver thread: `epoll_events` (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP,
  /// EPOLLERR) fired for the handler's fd.
  virtual void on_io_event(std::uint32_t epoll_events) noexcept = 0;
  /// The Reactor is being destroyed: no event will ever come again. Called at
  /// most once, with the reactor's lock held: it must not call back into the
  /// reactor nor drop anything whose destructor might (a Waker may only be
  /// woken, not released).
  virtual void on_reactor_closed() noexcept = 0;
  /// The reactor has forgotten the handler (after `remove`); the handler may
  /// now be destroyed. Called without the reactor's lock, on the driver
  /// thread or on the thread that destroys the Reactor or calls `remove`.
  virtual void on_released() noexcept = 0;

  /// Called by the driver for each event: the acquire pairs with the release
  /// in ReactorCore::add, so that everything written before registering
  /// (the handler's construction) is visible to the driver, which only got
  /// the address through the kernel (invisible to ThreadSanitizer).
  void dispatch(std::uint32_t epoll_events) noexcept {
    if (armed_.load(std::memory_order_acquire)) on_io_event(epoll_events);
  }

 protected:
  IoHandler() = default;
  IoHandler(const IoHandler&) = delete;
  IoHandler& operator=(const IoHandler&) = delete;
  ~IoHandler() = default;

 private:
  friend class ReactorCore;
  // Guarded by the core's mutex: the intrusive list of live handlers.
  IoHandler* prev_ = nullptr;
  IoHandler* next_ = nullptr;
  bool linked_ = false;
  std::atomic<bool> armed_{false};
};

/// The state of a Reactor that its registrations share: the epoll fd, the
/// live handlers, and the handlers waiting to be released. Held by
/// shared_ptr, so that a socket that outlives its Runtime can still
/// deregister safely (the core is then "closed" and does nothing but release).
/// All members are thread-safe.
class ReactorCore {
 public:
  ReactorCore() = default;
  ReactorCore(const ReactorCore&) = delete;
  ReactorCore& operator=(const ReactorCore&) = delete;

  /// Registers `fd` edge-triggered for IN|OUT|RDHUP, events going to `h`.
  /// std::errc::operation_canceled once the Reactor is gone.
  std::error_code add(int fd, IoHandler& h) noexcept;

  /// Deregisters `fd` and hands `h` back through `h.on_released()`.
  ///
  /// The driver thread may have just taken `h`'s address out of epoll_wait
  /// and be about to dispatch to it, so `h` cannot be released here. After
  /// EPOLL_CTL_DEL (serialized with epoll_wait's harvesting by the kernel),
  /// no later epoll_wait returns `h`; events already harvested are
  /// dispatched before the driver's next round. So `h` goes on a retire list
  /// that the driver releases at the start of its next round, which begins
  /// after every dispatch of the current one. A handler that was never added,
  /// or a closed core (no driver), releases at once, on this thread.
  void remove(int fd, IoHandler& h) noexcept;

  /// Handlers added and not removed.
  std::size_t registrations() const;
  /// True once the Reactor has been destroyed.
  bool closed() const;

 private:
  friend class Reactor;
  static constexpr std::size_t kRetireBatch = 32;  // wake an idle driver to free them

  /// The Reactor is going: tells the live handlers, returns the retired ones.
  std::vector<IoHandler*> close() noexcept;
  std::vector<IoHandler*> take_retired() noexcept;

  mutable std::mutex mutex_;
  int epoll_fd_ = -1;  // -1 once closed
  int event_fd_ = -1;
  IoHandler* live_ = nullptr;
  std::size_t live_count_ = 0;
  std::vector<IoHandler*> retired_;
};

/// The epoll instance of one runtime, plus an eventfd to interrupt a wait.
///
/// Owned by the Executor; `poll` is called in a loop by its single driver
/// thread, everything else is thread-safe. File descriptors are registered
/// once, edge-triggered, for both directions (the mio/Tokio way): readiness
/// is remembered by the handler until an operation hits EAGAIN. Destroying
/// the Reactor (after its driver has stopped) closes the epoll fd, tells the
/// still-registered handlers (on_reactor_closed) and releases retired ones;
/// the core stays alive while registrations refer to it.
class Reactor {
 public:
  Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;
  ~Reactor();

  std::error_code add(int fd, IoHandler& handler) noexcept { return core_->add(fd, handler); }
  void remove(int fd, IoHandler& handler) noexcept { core_->remove(fd, handler); }
  /// Makes a blocked or the next `poll` return at once.
  void interrupt() noexcept;
  /// Releases the handlers retired since the last call, then waits for
  /// events until `deadline` (forever if empty) and dispatches them: how
  /// many. Returns early on interrupt(). Driver thread only.
  int poll(std::optional<Instant> deadline, Instant now);

  /// What registrations hold on to.
  const std::shared_ptr<ReactorCore>& core() const noexcept { return core_; }
  /// Handlers added and not removed.
  std::size_t registrations() const { return core_->registrations(); }

 private:
  std::shared_ptr<ReactorCore> core_;
  // Copies of the core's fds for the lock-free paths (poll, interrupt);
  // valid for the Reactor's whole life.
  int epoll_fd_ = -1;
  int event_fd_ = -1;
};

}  // namespace troupe::detail
