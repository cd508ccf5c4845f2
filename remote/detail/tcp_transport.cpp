#include <cstring>
#include <utility>
#include <variant>

#include <netdb.h>
#include <sys/socket.h>

#include <troupe/remote/detail/node_core.hpp>
#include <troupe/remote/detail/peer.hpp>
#include <troupe/remote/detail/tcp_frame_stream.hpp>
#include <troupe/remote/detail/tcp_transport.hpp>
#include <troupe/runtime/detail/sockaddr.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/tcp_stream.hpp>

namespace troupe::remote::detail {

namespace {

// Runs one connection on `socket` to its end.
Task<Connection::Outcome> run_on(std::shared_ptr<NodeCore> node,
                                 std::shared_ptr<Connection> connection, Connection::Role role,
                                 TcpStream socket, std::string peer) {
  auto stream = std::make_unique<TcpFrameStream>(connection, role, std::move(socket),
                                                 std::move(peer), node->options().max_frame_bytes);
  return Connection::run_on(std::move(node), std::move(connection), std::move(stream));
}

}  // namespace

IoResult<SocketAddress> resolve_address(const std::string& address) {
  auto numeric = SocketAddress::parse(address);
  if (numeric) return numeric;
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return numeric;
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return std::make_error_code(std::errc::address_not_available);
  }
  sockaddr_storage storage{};
  std::memcpy(&storage, found->ai_addr, found->ai_addrlen);
  auto resolved = troupe::detail::from_sockaddr(storage, found->ai_addrlen);
  ::freeaddrinfo(found);
  return resolved;
}

Task<void> accept_tcp(std::shared_ptr<NodeCore> node, TcpListener listener) {
  for (;;) {
    auto accepted = co_await listener.accept();
    if (!accepted) {
      // Out of descriptors, say: let some connections end first.
      co_await sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto connection = std::make_shared<Connection>(node, Connection::Role::kAcceptor);
    node->run_detached([](std::shared_ptr<NodeCore> n, std::shared_ptr<Connection> c, TcpStream s,
                          std::string peer) -> Task<void> {
      (void)co_await run_on(std::move(n), std::move(c), Connection::Role::kAcceptor, std::move(s),
                            std::move(peer));
    }(node, std::move(connection), std::move(accepted->stream), accepted->peer.to_string()));
  }
}

Task<Connection::Outcome> dial_tcp(std::shared_ptr<NodeCore> node,
                                   std::shared_ptr<Connection> connection, std::string address,
                                   MpscReceiver<bool>& stop) {
  auto fail = [&](const std::string& why) {
    return Connection::unreachable(*node, *connection, address, why);
  };
  auto target = resolve_address(address);
  if (!target) co_return fail("cannot resolve " + address + ": " + target.error().message());
  auto connect = TcpStream::connect(*target);
  auto r = co_await select(connect, sleep_for(node->options().handshake_timeout), stop.next());
  if (r.index() == 1) co_return fail("connect: no answer in time");
  if (r.index() == 2) co_return fail("the dialer stopped");
  IoResult<TcpStream>& socket = std::get<0>(r);
  if (!socket) co_return fail("connect: " + socket.error().message());
  Connection::Outcome outcome =
      co_await run_on(node, std::move(connection), Connection::Role::kDialer, std::move(*socket),
                      target->to_string());
  co_return outcome;
}

}  // namespace troupe::remote::detail
