#include <cerrno>
#include <utility>

#include <sys/socket.h>

#include <troupe/runtime/detail/sockaddr.hpp>
#include <troupe/runtime/tcp_listener.hpp>

namespace troupe {

using detail::errno_code;

IoResult<TcpListener> TcpListener::bind(const SocketAddress& address, int backlog) noexcept {
  sockaddr_storage ss;
  const socklen_t len = detail::to_sockaddr(address, ss);
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_code();
  detail::IoSource io(fd);  // closes the socket on the error paths
  const int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return errno_code();
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) return errno_code();
  if (::listen(fd, backlog) != 0) return errno_code();
  return TcpListener(std::move(io));
}

TcpListener::AcceptFuture TcpListener::accept() noexcept { return AcceptFuture(io_); }

IoResult<SocketAddress> TcpListener::local_address() const noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(io_.fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return errno_code();
  return detail::from_sockaddr(ss, len);
}

bool TcpListener::AcceptFuture::poll(Context& cx) noexcept {
  const int fd = io_->fd();
  return io_->poll_io(detail::Direction::kRead, cx, waiter_, ec_, [&] {
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    const int conn =
        ::accept4(fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0) return errno;
    accepted_ = detail::IoSource(conn);
    if (auto peer = detail::from_sockaddr(ss, len)) peer_ = *peer;
    return 0;
  });
}

IoResult<TcpListener::Accepted> TcpListener::AcceptFuture::await_resume() noexcept {
  if (ec_) return ec_;
  return Accepted{TcpStream(std::move(accepted_)), peer_};
}

}  // namespace troupe
