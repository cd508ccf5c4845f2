#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/io_registration.hpp>
#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/socket_address.hpp>

namespace troupe {

class TcpListener;

/// Which half of a connection `TcpStream::shutdown` closes.
enum class Shutdown : std::uint8_t { kRead, kWrite, kBoth };

/// A connected TCP socket, non-blocking and driven by the runtime's reactor:
/// `co_await s.read(buf)` suspends the task until data arrives, not the
/// worker thread. Made by `co_await TcpStream::connect(address)` or
/// `co_await listener.accept()`.
///
/// Owns the socket: move-only, and the destructor closes it (after leaving
/// the reactor). It must outlive every operation awaited on it, and must not
/// be moved while one is pending.
///
/// Thread-safety: one task at a time may read and one task at a time may
/// write (each direction has a single waker slot; a second concurrent reader
/// would leave the first one waiting forever). Reading in one task while
/// another task writes is fine, e.g. with the stream in a shared_ptr. The
/// synchronous members (shutdown, options, addresses) are safe from any
/// thread while the stream is alive.
///
/// Errors are IoResult values, never exceptions: the peer closing its side
/// makes read() return 0 bytes; a reset gives std::errc::connection_reset (or
/// broken_pipe on writes); writes never raise SIGPIPE. The socket joins the
/// reactor of the first task that has to wait on it, and must be used only
/// while that runtime is alive (afterwards waits fail with
/// std::errc::operation_canceled). A stream that has never waited yet and
/// is polled by a task whose scheduler has no reactor (a TestExecutor) fails
/// with std::errc::operation_not_supported.
class TcpStream {
 public:
  class ConnectFuture;
  class ReadFuture;
  class WriteFuture;
  class WriteAllFuture;

  /// Opens a connection to `address`: `IoResult<TcpStream> s = co_await
  /// TcpStream::connect(addr);` (std::errc::connection_refused if nobody
  /// listens there).
  static ConnectFuture connect(const SocketAddress& address) noexcept;

  TcpStream(TcpStream&&) noexcept = default;
  TcpStream& operator=(TcpStream&&) noexcept = default;
  ~TcpStream() = default;

  /// Reads at most `buffer.size()` bytes, waiting until at least one is
  /// available: `IoResult<std::size_t>`, 0 once the peer has shut down its
  /// writing side (or if `buffer` is empty).
  ReadFuture read(std::span<std::byte> buffer) noexcept;
  /// Writes at most `data.size()` bytes, waiting until the socket accepts
  /// at least one: `IoResult<std::size_t>`, the count written.
  WriteFuture write(std::span<const std::byte> data) noexcept;
  /// Writes all of `data`, waiting as often as the peer's pace requires:
  /// `IoResult<void>`. On error, an unknown prefix of `data` was sent.
  WriteAllFuture write_all(std::span<const std::byte> data) noexcept;

  /// Shuts down one or both halves: after kWrite the peer reads 0 (EOF)
  /// once it has read everything sent before.
  IoResult<void> shutdown(Shutdown how) noexcept;
  IoResult<void> shutdown_write() noexcept { return shutdown(Shutdown::kWrite); }

  /// TCP_NODELAY: send small writes at once instead of coalescing them.
  IoResult<void> set_nodelay(bool on) noexcept;
  IoResult<bool> nodelay() const noexcept;
  /// SO_LINGER: with a timeout, closing waits (in the destructor, blocking)
  /// for unsent data; a zero timeout makes closing reset the connection.
  IoResult<void> set_linger(std::optional<std::chrono::seconds> timeout) noexcept;

  IoResult<SocketAddress> local_address() const noexcept;
  IoResult<SocketAddress> peer_address() const noexcept;
  /// The socket's file descriptor (still owned by the stream); -1 after a
  /// move.
  int native_handle() const noexcept { return io_.fd(); }

 private:
  friend class TcpListener;
  explicit TcpStream(detail::IoSource io) noexcept : io_(std::move(io)) {}

  detail::IoSource io_;
};

/// The Future of `TcpStream::connect`: creates the socket on its first poll,
/// starts a non-blocking connect, and waits until the socket is writable,
/// then reads SO_ERROR. Owned by the awaiting coroutine; destroying it
/// before it finished closes the half-open socket.
class [[nodiscard]] TcpStream::ConnectFuture {
 public:
  explicit ConnectFuture(const SocketAddress& address) noexcept : address_(address) {}
  ConnectFuture(const ConnectFuture&) = delete;
  ConnectFuture& operator=(const ConnectFuture&) = delete;
  ~ConnectFuture() { io_.forget_waker(detail::Direction::kWrite, waiter_); }

  bool poll(Context& cx) noexcept;
  IoResult<TcpStream> await_resume() noexcept;

 private:
  SocketAddress address_;
  detail::IoSource io_;
  const detail::WakeTarget* waiter_ = nullptr;
  std::error_code ec_;
  bool started_ = false;
};

/// The Future of `TcpStream::read`. Owned by the awaiting coroutine;
/// destroying it while pending cancels the read (nothing was consumed).
class [[nodiscard]] TcpStream::ReadFuture {
 public:
  ReadFuture(detail::IoSource& io, std::span<std::byte> buffer) noexcept
      : io_(&io), buffer_(buffer) {}
  ReadFuture(const ReadFuture&) = delete;
  ReadFuture& operator=(const ReadFuture&) = delete;
  ~ReadFuture() { io_->forget_waker(detail::Direction::kRead, waiter_); }

  bool poll(Context& cx) noexcept;
  IoResult<std::size_t> await_resume() const noexcept {
    if (ec_) return ec_;
    return count_;
  }

 private:
  detail::IoSource* io_;
  std::span<std::byte> buffer_;
  std::size_t count_ = 0;
  const detail::WakeTarget* waiter_ = nullptr;
  std::error_code ec_;
};

/// The Future of `TcpStream::write`. Owned by the awaiting coroutine;
/// destroying it while pending cancels the write (nothing was sent).
class [[nodiscard]] TcpStream::WriteFuture {
 public:
  WriteFuture(detail::IoSource& io, std::span<const std::byte> data) noexcept
      : io_(&io), data_(data) {}
  WriteFuture(const WriteFuture&) = delete;
  WriteFuture& operator=(const WriteFuture&) = delete;
  ~WriteFuture() { io_->forget_waker(detail::Direction::kWrite, waiter_); }

  bool poll(Context& cx) noexcept;
  IoResult<std::size_t> await_resume() const noexcept {
    if (ec_) return ec_;
    return count_;
  }

 private:
  detail::IoSource* io_;
  std::span<const std::byte> data_;
  std::size_t count_ = 0;
  const detail::WakeTarget* waiter_ = nullptr;
  std::error_code ec_;
};

/// The Future of `TcpStream::write_all`. Owned by the awaiting coroutine;
/// destroying it while pending stops writing (a prefix may have been sent).
class [[nodiscard]] TcpStream::WriteAllFuture {
 public:
  WriteAllFuture(detail::IoSource& io, std::span<const std::byte> data) noexcept
      : io_(&io), data_(data) {}
  WriteAllFuture(const WriteAllFuture&) = delete;
  WriteAllFuture& operator=(const WriteAllFuture&) = delete;
  ~WriteAllFuture() { io_->forget_waker(detail::Direction::kWrite, waiter_); }

  bool poll(Context& cx) noexcept;
  IoResult<void> await_resume() const noexcept { return ec_; }
  /// Bytes handed to the kernel so far.
  std::size_t written() const noexcept { return written_; }

 private:
  detail::IoSource* io_;
  std::span<const std::byte> data_;
  std::size_t written_ = 0;
  const detail::WakeTarget* waiter_ = nullptr;
  std::error_code ec_;
};

}  // namespace troupe
