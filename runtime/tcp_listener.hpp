#pragma once

#include <system_error>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/io_registration.hpp>
#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/socket_address.hpp>
#include <troupe/runtime/tcp_stream.hpp>

namespace troupe {

/// A listening TCP socket: `co_await listener.accept()` suspends the task
/// until a client connects.
///
/// `bind` is synchronous and works anywhere (before the runtime exists, on
/// any thread); the listener joins the reactor of the first task that has to
/// wait in accept(), and must then be used only while that runtime is alive.
/// Owns the socket: move-only, closed by the destructor (after leaving the
/// reactor); it must outlive every accept awaited on it and not be moved
/// while one is pending. One task at a time may accept; local_address() is
/// safe from any thread.
class TcpListener {
 public:
  class AcceptFuture;

  /// A connection taken from the queue: the stream and the client's address.
  struct Accepted {
    TcpStream stream;
    SocketAddress peer;
  };

  /// How many not-yet-accepted connections the kernel queues by default
  /// (capped by net.core.somaxconn).
  static constexpr int kDefaultBacklog = 1024;

  /// Creates a socket listening on `address` (IPv4 or IPv6; port 0 picks a
  /// free port: see local_address()), with SO_REUSEADDR so that a restarted
  /// server can bind again at once. IPV6_V6ONLY keeps the system default
  /// (on Linux, [::] then also accepts IPv4 clients, as ::ffff:a.b.c.d).
  /// Errors: e.g.
  /// std::errc::address_in_use, std::errc::address_not_available.
  static IoResult<TcpListener> bind(const SocketAddress& address,
                                    int backlog = kDefaultBacklog) noexcept;

  TcpListener(TcpListener&&) noexcept = default;
  TcpListener& operator=(TcpListener&&) noexcept = default;
  ~TcpListener() = default;

  /// Waits for the next connection: `IoResult<Accepted>`. The new stream is
  /// non-blocking and close-on-exec like every Troupe socket.
  AcceptFuture accept() noexcept;

  /// The address actually bound (with the chosen port after binding port 0).
  IoResult<SocketAddress> local_address() const noexcept;
  /// The socket's file descriptor (still owned by the listener).
  int native_handle() const noexcept { return io_.fd(); }

 private:
  explicit TcpListener(detail::IoSource io) noexcept : io_(std::move(io)) {}

  detail::IoSource io_;
};

/// The Future of `TcpListener::accept`. Owned by the awaiting coroutine;
/// destroying it while pending cancels the accept (no connection is taken).
class [[nodiscard]] TcpListener::AcceptFuture {
 public:
  explicit AcceptFuture(detail::IoSource& io) noexcept : io_(&io) {}
  AcceptFuture(const AcceptFuture&) = delete;
  AcceptFuture& operator=(const AcceptFuture&) = delete;
  ~AcceptFuture() { io_->forget_waker(detail::Direction::kRead, waiter_); }

  bool poll(Context& cx) noexcept;
  IoResult<Accepted> await_resume() noexcept;

 private:
  detail::IoSource* io_;
  detail::IoSource accepted_;
  SocketAddress peer_;
  const detail::WakeTarget* waiter_ = nullptr;
  std::error_code ec_;
};

}  // namespace troupe
