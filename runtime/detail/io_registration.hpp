#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <system_error>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/reactor.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/detail/wake_target.hpp>
#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/waker.hpp>

namespace troupe::detail {

/// Which way an operation moves data; each has its own readiness and waker.
enum class Direction : std::uint8_t { kRead, kWrite };

/// A readiness snapshot that poll_ready handed out: which bits were set, at
/// which tick. Give it back to clear_readiness after an EAGAIN.
struct ReadyEvent {
  std::uint64_t tick = 0;
  std::uint32_t ready = 0;
};

/// What poll_ready found.
enum class Readiness : std::uint8_t {
  kPending,  // not ready; the polling task's waker is registered
  kReady,    // an operation may make progress (or fail with the real error)
  kClosed,   // no event will ever come: see IoRegistration::closed_error()
};

/// The reactor's view of one file descriptor (Tokio's ScheduledIo): the
/// readiness the driver saw for each direction, one reader Waker and one
/// writer Waker.
///
/// Readiness lives in one atomic word: event bits plus a tick that each
/// event dispatch increments. The driver sets bits and wakes; an operation
/// that hit EAGAIN clears the bits it saw, but only if the tick is still the
/// one it saw (clear_readiness): an event that arrived between its poll and
/// its syscall bumped the tick, so it cannot be erased. Wakers are guarded
/// by a small mutex; the poll side registers under it and re-checks the
/// word, the driver updates the word before it takes the wakers: no lost
/// wake-up.
///
/// Owned by an IoSource until deregister(), then by the reactor, which
/// deletes it once the driver cannot dispatch to it any more
/// (ReactorCore::remove). All members are thread-safe.
class IoRegistration final : public IoHandler {
 public:
  /// A registration for `fd` with `core`'s reactor, not yet added.
  IoRegistration(std::shared_ptr<ReactorCore> core, int fd) noexcept
      : core_(std::move(core)), fd_(fd) {}

  /// Adds it to the reactor. On failure it is marked closed with the error
  /// (waiters see it) and must still be deregistered.
  std::error_code add() noexcept;
  /// Removes it from the reactor and gives up ownership: the reactor deletes
  /// it when safe. Must be called before the fd is closed.
  void deregister() noexcept;

  /// kReady with the snapshot in `ev` if `dir` may make progress; kPending
  /// after registering cx's waker as `dir`'s (then `waiter` is set to the
  /// polling task, for forget_waker); kClosed if it never will.
  Readiness poll_ready(Direction dir, Context& cx, ReadyEvent& ev,
                       const WakeTarget*& waiter) noexcept;
  /// An operation hit EAGAIN after seeing `ev`: forget that readiness, unless
  /// a newer event arrived meanwhile. The closed states are never cleared.
  void clear_readiness(const ReadyEvent& ev) noexcept;
  /// Drops `dir`'s waker if it still wakes `waiter` (a future that stops
  /// waiting must not keep its task alive or get woken for nothing).
  void forget_waker(Direction dir, const WakeTarget* waiter) noexcept;
  /// Why kClosed: the EPOLL_CTL_ADD error, or std::errc::operation_canceled
  /// when the reactor was destroyed. Only meaningful after kClosed.
  std::error_code closed_error() const noexcept { return closed_error_; }

  // IoHandler
  void on_io_event(std::uint32_t epoll_events) noexcept override;
  void on_reactor_closed() noexcept override;
  void on_released() noexcept override { delete this; }

  // The readiness word.
  static constexpr std::uint64_t kReadable = 1u << 0;
  static constexpr std::uint64_t kWritable = 1u << 1;
  static constexpr std::uint64_t kReadClosed = 1u << 2;   // EPOLLRDHUP / EPOLLHUP
  static constexpr std::uint64_t kWriteClosed = 1u << 3;  // EPOLLHUP
  static constexpr std::uint64_t kError = 1u << 4;        // EPOLLERR
  static constexpr std::uint64_t kClosed = 1u << 5;       // see closed_error()
  static constexpr std::uint64_t kReadyMask = 0xff;
  static constexpr std::uint64_t kTickOne = std::uint64_t{1} << 16;
  static constexpr std::uint64_t interest(Direction d) noexcept {
    return d == Direction::kRead ? (kReadable | kReadClosed | kError)
                                 : (kWritable | kWriteClosed | kError);
  }

 private:
  ~IoRegistration() = default;
  void close_with(std::error_code ec) noexcept;
  Waker& slot(Direction d) noexcept { return d == Direction::kRead ? reader_ : writer_; }

  std::shared_ptr<ReactorCore> core_;
  const int fd_;
  std::atomic<std::uint64_t> state_{0};
  std::error_code closed_error_;  // written once, before kClosed is published
  std::mutex mutex_;
  Waker reader_;  // guarded by mutex_
  Waker writer_;  // guarded by mutex_
};

/// An owned non-blocking file descriptor and its reactor registration: the
/// part every socket type shares (Tokio's PollEvented).
///
/// The registration is made lazily, by the first operation that has to wait,
/// with the reactor of the polling task's scheduler: until then the fd is
/// only tried. The destructor deregisters, then closes the fd (in that
/// order: a closed fd number may be reused at once by another thread).
///
/// Move-only; not to be moved or destroyed while an operation on it is
/// pending. Operations may run concurrently from different tasks: at most
/// one per Direction at a time (each direction has one waker slot; a second
/// waiter would displace the first, which would then never be woken).
class IoSource {
 public:
  IoSource() noexcept = default;
  /// Takes ownership of `fd` (must be non-blocking; -1 for none).
  explicit IoSource(int fd) noexcept : fd_(fd) {}
  IoSource(IoSource&& other) noexcept;
  IoSource& operator=(IoSource&& other) noexcept;
  IoSource(const IoSource&) = delete;
  IoSource& operator=(const IoSource&) = delete;
  ~IoSource() { reset(); }

  int fd() const noexcept { return fd_; }
  bool registered() const noexcept { return reg_.load(std::memory_order_acquire) != nullptr; }

  /// What an attempt (see poll_io) returns when it succeeded and found the
  /// fd drained (a read that got less than it asked for): the readiness it
  /// used is cleared, so the next operation waits for the reactor instead
  /// of making a syscall that would only say EAGAIN (Tokio does the same).
  static constexpr int kDrained = -1;
  /// Deregisters and closes the fd now.
  void reset() noexcept;

  /// Registers with `reactor` now (if not yet registered).
  std::error_code register_with(Reactor& reactor) noexcept;

  /// Readiness of `dir` as IoRegistration::poll_ready, registering first if
  /// needed. On kClosed, `ec` says why (std::errc::operation_not_supported
  /// if a registration was needed and cx's scheduler has no reactor).
  Readiness poll_ready(Direction dir, Context& cx, ReadyEvent& ev, const WakeTarget*& waiter,
                       std::error_code& ec) noexcept;
  void clear_readiness(const ReadyEvent& ev) noexcept {
    if (auto* r = reg_.load(std::memory_order_acquire)) r->clear_readiness(ev);
  }
  /// Forgets `waiter`'s waker for `dir` (if any) and resets `waiter`.
  void forget_waker(Direction dir, const WakeTarget*& waiter) noexcept {
    if (waiter == nullptr) return;
    if (auto* r = reg_.load(std::memory_order_acquire)) r->forget_waker(dir, waiter);
    waiter = nullptr;
  }

  /// The loop behind every socket operation. `attempt()` makes one
  /// non-blocking syscall and returns 0 when it is done, else the errno.
  /// Returns true when the operation is over (`ec` empty on success) and
  /// false when it waits for readiness (cx's waker registered). EAGAIN
  /// clears the readiness seen and tries again; EINTR just tries again.
  ///
  /// Operations on a scheduler without a reactor fail with
  /// std::errc::operation_not_supported unless the fd is registered already.
  template <class Attempt>
  bool poll_io(Direction dir, Context& cx, const WakeTarget*& waiter, std::error_code& ec,
               Attempt&& attempt) noexcept {
    int err;
    if (!registered()) {
      // Never waited yet: try first, register only on EAGAIN. Registering
      // adds the fd edge-triggered, and epoll reports a readiness that
      // predates the add, so nothing that happens in between is missed.
      if (cx.scheduler().reactor() == nullptr) {
        ec = std::make_error_code(std::errc::operation_not_supported);
        return true;
      }
      while ((err = attempt()) == EINTR) {
      }
      if (err == kDrained) err = 0;  // nothing registered yet to clear
      if (err != EAGAIN && err != EWOULDBLOCK) return finish(dir, waiter, ec, err);
      if ((ec = register_with(*cx.scheduler().reactor()))) return true;
    }
    for (;;) {
      ReadyEvent ev;
      switch (poll_ready(dir, cx, ev, waiter, ec)) {
        case Readiness::kPending:
          return false;
        case Readiness::kClosed:
          forget_waker(dir, waiter);
          return true;
        case Readiness::kReady:
          break;
      }
      while ((err = attempt()) == EINTR) {
      }
      if (err == kDrained) {
        clear_readiness(ev);
        return finish(dir, waiter, ec, 0);
      }
      if (err != EAGAIN && err != EWOULDBLOCK) return finish(dir, waiter, ec, err);
      clear_readiness(ev);
    }
  }

 private:
  bool finish(Direction dir, const WakeTarget*& waiter, std::error_code& ec, int err) noexcept {
    forget_waker(dir, waiter);
    ec = err == 0 ? std::error_code() : std::error_code(err, std::system_category());
    return true;
  }

  int fd_ = -1;
  std::atomic<IoRegistration*> reg_{nullptr};
};

/// `co_await io.ready(dir)`: waits until `dir` may make progress (the raw
/// readiness wait under every socket operation; the caller does the I/O and
/// hands the event back to clear_readiness on EAGAIN). Owned by the awaiting
/// coroutine; forgets its waker when destroyed.
class ReadinessFuture {
 public:
  ReadinessFuture(IoSource& io, Direction dir) noexcept : io_(&io), dir_(dir) {}
  ReadinessFuture(const ReadinessFuture&) = delete;
  ReadinessFuture& operator=(const ReadinessFuture&) = delete;
  ~ReadinessFuture() { io_->forget_waker(dir_, waiter_); }

  bool poll(Context& cx) noexcept {
    const Readiness r = io_->poll_ready(dir_, cx, ev_, waiter_, ec_);
    if (r == Readiness::kPending) return false;
    io_->forget_waker(dir_, waiter_);
    return true;
  }
  IoResult<ReadyEvent> await_resume() const noexcept {
    if (ec_) return ec_;
    return ev_;
  }

 private:
  IoSource* io_;
  Direction dir_;
  const WakeTarget* waiter_ = nullptr;
  ReadyEvent ev_;
  std::error_code ec_;
};

inline ReadinessFuture readable(IoSource& io) noexcept { return {io, Direction::kRead}; }
inline ReadinessFuture writable(IoSource& io) noexcept { return {io, Direction::kWrite}; }

}  // namespace troupe::detail
