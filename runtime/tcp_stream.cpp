#include <cerrno>
#include <utility>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <troupe/runtime/detail/sockaddr.hpp>
#include <troupe/runtime/tcp_stream.hpp>

namespace troupe {

using detail::Direction;
using detail::errno_code;

TcpStream::ConnectFuture TcpStream::connect(const SocketAddress& address) noexcept {
  return ConnectFuture(address);
}

TcpStream::ReadFuture TcpStream::read(std::span<std::byte> buffer) noexcept {
  return ReadFuture(io_, buffer);
}

TcpStream::WriteFuture TcpStream::write(std::span<const std::byte> data) noexcept {
  return WriteFuture(io_, data);
}

TcpStream::WriteAllFuture TcpStream::write_all(std::span<const std::byte> data) noexcept {
  return WriteAllFuture(io_, data);
}

IoResult<void> TcpStream::shutdown(Shutdown how) noexcept {
  const int h = how == Shutdown::kRead ? SHUT_RD : how == Shutdown::kWrite ? SHUT_WR : SHUT_RDWR;
  if (::shutdown(io_.fd(), h) != 0) return errno_code();
  return {};
}

IoResult<void> TcpStream::set_nodelay(bool on) noexcept {
  const int v = on ? 1 : 0;
  if (::setsockopt(io_.fd(), IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) != 0) return errno_code();
  return {};
}

IoResult<bool> TcpStream::nodelay() const noexcept {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(io_.fd(), IPPROTO_TCP, TCP_NODELAY, &v, &len) != 0) return errno_code();
  return v != 0;
}

IoResult<void> TcpStream::set_linger(std::optional<std::chrono::seconds> timeout) noexcept {
  linger l{};
  l.l_onoff = timeout ? 1 : 0;
  l.l_linger = timeout ? static_cast<int>(timeout->count()) : 0;
  if (::setsockopt(io_.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) return errno_code();
  return {};
}

IoResult<SocketAddress> TcpStream::local_address() const noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(io_.fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return errno_code();
  return detail::from_sockaddr(ss, len);
}

IoResult<SocketAddress> TcpStream::peer_address() const noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(io_.fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return errno_code();
  return detail::from_sockaddr(ss, len);
}

bool TcpStream::ConnectFuture::poll(Context& cx) noexcept {
  if (!started_) {
    started_ = true;
    detail::Reactor* reactor = cx.scheduler().reactor();
    if (reactor == nullptr) {
      ec_ = std::make_error_code(std::errc::operation_not_supported);
      return true;
    }
    sockaddr_storage ss;
    const socklen_t len = detail::to_sockaddr(address_, ss);
    const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ec_ = errno_code();
      return true;
    }
    io_ = detail::IoSource(fd);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) == 0) return true;
    // EINTR: the connection goes on asynchronously, as with EINPROGRESS.
    if (errno != EINPROGRESS && errno != EINTR) {
      ec_ = errno_code();
      io_.reset();
      return true;
    }
    if ((ec_ = io_.register_with(*reactor))) {
      io_.reset();
      return true;
    }
  }
  const int fd = io_.fd();
  const bool done = io_.poll_io(Direction::kWrite, cx, waiter_, ec_, [fd] {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    if (err != 0) return err;
    // Writable without an error should mean connected; make sure, since an
    // early readiness would otherwise hand out a half-open socket.
    sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0) return 0;
    return errno == ENOTCONN ? EAGAIN : errno;
  });
  if (done && ec_) io_.reset();
  return done;
}

IoResult<TcpStream> TcpStream::ConnectFuture::await_resume() noexcept {
  if (ec_) return ec_;
  return TcpStream(std::move(io_));
}

bool TcpStream::ReadFuture::poll(Context& cx) noexcept {
  const int fd = io_->fd();
  return io_->poll_io(Direction::kRead, cx, waiter_, ec_, [&] {
    const ssize_t n = ::recv(fd, buffer_.data(), buffer_.size(), 0);
    if (n < 0) return errno;
    count_ = static_cast<std::size_t>(n);
    // Less than asked for: the socket is empty now (EOF, 0, keeps it
    // readable: the next read sees the end at once).
    return n > 0 && count_ < buffer_.size() ? detail::IoSource::kDrained : 0;
  });
}

bool TcpStream::WriteFuture::poll(Context& cx) noexcept {
  const int fd = io_->fd();
  return io_->poll_io(Direction::kWrite, cx, waiter_, ec_, [&] {
    // MSG_NOSIGNAL: a closed peer is an EPIPE result, not a process-killing
    // SIGPIPE.
    const ssize_t n = ::send(fd, data_.data(), data_.size(), MSG_NOSIGNAL);
    if (n < 0) return errno;
    count_ = static_cast<std::size_t>(n);
    return 0;
  });
}

bool TcpStream::WriteAllFuture::poll(Context& cx) noexcept {
  const int fd = io_->fd();
  return io_->poll_io(Direction::kWrite, cx, waiter_, ec_, [&] {
    while (written_ < data_.size()) {
      const ssize_t n = ::send(fd, data_.data() + written_, data_.size() - written_, MSG_NOSIGNAL);
      if (n < 0) return errno;
      written_ += static_cast<std::size_t>(n);
    }
    return 0;
  });
}

}  // namespace troupe
