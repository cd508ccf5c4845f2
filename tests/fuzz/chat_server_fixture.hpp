// A real troupe-chat server for troupe-irc-fuzzer: the session's command
// handling reads a TcpStream, so the target plays one client connection
// per input over loopback, and checks what the server wrote back and that
// the session ended once the client had closed its side.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/runtime/socket_address.hpp>

#include "chat/context.hpp"
#include "chat/server.hpp"
#include "fuzz_check.hpp"

namespace troupe::fuzz {

/// How long the server may take to answer and close after the client's EOF
/// (a session that never ends then is a finding), and to count it gone.
inline constexpr auto kSessionLimit = std::chrono::seconds(5);

/// One server for the whole run, on 127.0.0.1 and a port the kernel picks.
class ChatServerFixture {
 public:
  static ChatServerFixture& instance() {
    static ChatServerFixture fixture;
    return fixture;
  }

  /// Connects, writes `input`, shuts down the write side, and reads until
  /// the server closes: everything the server wrote.
  std::string converse(std::string_view input) const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(fd >= 0, "a client socket can be made");
    FUZZ_CHECK(::connect(fd, reinterpret_cast<const sockaddr*>(&address_), sizeof address_) == 0,
               "the chat server accepts a connection");
    std::string output;
    std::size_t sent = 0;
    bool writing = true;
    const auto deadline = std::chrono::steady_clock::now() + kSessionLimit;
    for (;;) {
      if (writing && sent == input.size()) {
        ::shutdown(fd, SHUT_WR);
        writing = false;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
      const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      FUZZ_CHECK(ready > 0, "the session ends within 5 s of its client's EOF");
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        char buffer[4096];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;  // EOF or reset
        if (n > 0) output.append(buffer, static_cast<std::size_t>(n));
      }
      if (writing && (p.revents & POLLOUT)) {
        const ssize_t n =
            ::send(fd, input.data() + sent, input.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) sent += static_cast<std::size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) writing = false;  // server closed first
      }
    }
    ::close(fd);
    return output;
  }

  /// True once no session is live, within kSessionLimit.
  bool sessions_drain() const { return server_.wait_no_sessions(kSessionLimit); }

 private:
  static chat::ServerOptions options() {
    chat::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.max_connections_per_address = 0;  // every input is a new connection
    return o;
  }

  ChatServerFixture() : system_({.workers = 2}), server_(system_, options()) {
    auto bound = server_.start();
    FUZZ_CHECK(static_cast<bool>(bound), "the chat server starts");
    address_ = {};
    address_.sin_family = AF_INET;
    address_.sin_port = htons(bound->port());
    address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }

  ActorSystem system_;
  chat::ChatServer server_;
  sockaddr_in address_{};
};

}  // namespace troupe::fuzz
