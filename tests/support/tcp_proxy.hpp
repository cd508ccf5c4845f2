#pragma once

// A loopback TCP proxy for tests: clients dial endpoint(), and each
// connection is forwarded to the upstream address, until cut() closes
// every forwarded connection and stops forwarding new ones (refused:
// accepted and closed at once; or blackholed: accepted and never
// answered), so a test can cut one client off from a server that others
// still reach. heal() forwards again.
//
// Threads and blocking sockets: one thread accepts, one per connection
// forwards both ways (poll). Cutting shuts the sockets down, which wakes
// those threads. A connection's sockets are closed only once its thread
// has ended, under the proxy's lock, so no descriptor is shut down or
// closed after the system gave its number to another socket.

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace troupe::test {

class TcpProxy {
 public:
  enum class Cut {
    kRefuse,     // new connections are closed at once: the client sees a reset
    kBlackhole,  // new connections are accepted and never answered
  };

  /// Forwards to `upstream_port` on 127.0.0.1, from a free loopback port.
  explicit TcpProxy(int upstream_port) : upstream_port_(upstream_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("the proxy cannot listen");
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  /// Forwards to "127.0.0.1:PORT".
  explicit TcpProxy(const std::string& upstream)
      : TcpProxy(std::stoi(upstream.substr(upstream.rfind(':') + 1))) {}
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  ~TcpProxy() {
    ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    ::close(listener_);
    std::vector<std::unique_ptr<Link>> links;
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
      links = std::move(links_);
      for (int fd : held_) ::close(fd);
      held_.clear();
    }
    for (auto& l : links) {
      l->shut();
      l->thread.join();
      l->close();
    }
  }

  /// "127.0.0.1:PORT", what clients dial instead of the upstream.
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

  /// Closes every forwarded connection; new ones are refused or
  /// blackholed until heal().
  void cut(Cut how = Cut::kRefuse) {
    std::lock_guard lock(mutex_);
    cut_ = how;
    for (auto& l : links_) l->shut();
    reap();
  }
  /// Forwards new connections again (and frees blackholed ones).
  void heal() {
    std::lock_guard lock(mutex_);
    cut_.reset();
    for (int fd : held_) ::close(fd);
    held_.clear();
  }
  /// Connections forwarded so far.
  int forwarded() const { return forwarded_.load(); }

 private:
  struct Link {
    int client = -1;
    int upstream = -1;
    std::atomic<bool> done{false};
    std::thread thread;
    void shut() const {
      ::shutdown(client, SHUT_RDWR);
      ::shutdown(upstream, SHUT_RDWR);
    }
    void close() const {
      ::close(client);
      ::close(upstream);
    }
  };

  // Closes the connections whose thread has ended. Under mutex_.
  void reap() {
    for (auto it = links_.begin(); it != links_.end();) {
      if (!(*it)->done.load()) {
        ++it;
        continue;
      }
      (*it)->thread.join();
      (*it)->close();
      it = links_.erase(it);
    }
  }

  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
  }

  void accept_loop() {
    while (true) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // the listener was shut down
      }
      std::unique_lock lock(mutex_);
      if (closing_) {
        ::close(client);
        return;
      }
      if (cut_) {
        if (*cut_ == Cut::kBlackhole) {
          held_.push_back(client);
        } else {
          ::close(client);
        }
        continue;
      }
      lock.unlock();
      const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const sockaddr_in a = loopback(upstream_port_);
      if (upstream < 0 ||
          ::connect(upstream, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        if (upstream >= 0) ::close(upstream);
        ::close(client);
        continue;
      }
      const int one = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      lock.lock();
      auto link = std::make_unique<Link>();
      link->client = client;
      link->upstream = upstream;
      if (cut_) link->shut();  // cut while we connected
      Link* raw = link.get();
      link->thread = std::thread([raw] {
        forward(raw->client, raw->upstream);
        raw->done.store(true);
      });
      reap();
      links_.push_back(std::move(link));
      forwarded_.fetch_add(1);
    }
  }

  // Copies bytes both ways until either side ends or fails, then shuts
  // both down (the owner closes them).
  static void forward(int a, int b) {
    char buf[16384];
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    bool open = true;
    while (open) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      for (int i = 0; i < 2 && open; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
        if (n <= 0) {
          open = n < 0 && errno == EINTR;
          continue;
        }
        const int to = fds[1 - i].fd;
        for (ssize_t sent = 0; sent < n && open;) {
          const ssize_t m =
              ::send(to, buf + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
          if (m < 0 && errno == EINTR) continue;
          if (m <= 0) open = false;
          sent += m > 0 ? m : 0;
        }
      }
    }
    ::shutdown(a, SHUT_RDWR);
    ::shutdown(b, SHUT_RDWR);
  }

  int upstream_port_;
  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::optional<Cut> cut_;
  bool closing_ = false;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<int> held_;
  std::atomic<int> forwarded_{0};
};

}  // namespace troupe::test
