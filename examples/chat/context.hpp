#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <troupe/runtime/clock.hpp>

#include "chat/directory.hpp"

namespace chat {

/// How a chat server is set up. A plain value.
struct ServerOptions {
  /// Where to listen: a numeric IPv4 or IPv6 address and a port (0 picks one).
  std::string host = "127.0.0.1";
  std::uint16_t port = 6667;
  /// The name the server gives itself in replies.
  std::string server_name = "troupe.chat";
  std::string network = "Troupe";
  /// The slow-client limit: lines queued for one client and not yet taken
  /// by its socket (an event's few lines, e.g. a NAMES reply, count as
  /// one). A client whose backlog reaches it is disconnected.
  std::size_t max_backlog = 1024;
  /// SO_SNDBUF of client sockets; 0 keeps the kernel's (auto-tuned) size.
  int socket_send_buffer = 0;
  /// Channels one client may be in at once.
  std::size_t max_channels = 50;
  /// How long a closing connection may take to flush its last lines.
  troupe::Duration close_grace = std::chrono::seconds(2);
  /// How long a session waits on the registry or a room before giving up.
  troupe::Duration ask_timeout = std::chrono::seconds(5);
  /// Time a connection has to complete registration (NICK, USER and, if it
  /// started one, CAP END) before it is dropped; 0: no limit. 60 s is ample
  /// for a human client on a slow link, and a connection that never
  /// registers should not hold a descriptor longer than that.
  troupe::Duration register_timeout = std::chrono::seconds(60);
  /// Silence from a registered client after which the server sends it a
  /// PING; 0: never. Any line the client sends counts as a sign of life.
  troupe::Duration ping_interval = std::chrono::seconds(120);
  /// Silence after that PING after which the client is dropped ("Ping
  /// timeout"); 0: never. 120 s + 60 s are the usual values of IRC servers:
  /// long enough for a client behind a slow or briefly lost link.
  troupe::Duration ping_timeout = std::chrono::seconds(60);
  /// Connections one source address may have open at once; 0: no limit.
  /// Loopback counts like any other address. 10, like the usual per-host
  /// class limits of ircd-hybrid and twice ngircd's MaxConnectionsIP = 5:
  /// a household or an office behind one NAT address, or a user with a
  /// bouncer and a client or two, stays well within it, while one host
  /// cannot take all the server's descriptors. A load generator
  /// (troupe-chat-loadgen) needs it raised or off:
  /// --max-connections-per-address 0.
  std::size_t max_connections_per_address = 10;
  std::vector<std::string> motd = {"Welcome to Troupe chat: every connection and every",
                                   "channel here is an actor. Be nice."};
  /// Where the server reports what it refuses from another node of a split
  /// server (one line, the first time of each kind; see Refusals). Called
  /// on the actors' threads. Default: the framework's log (troupe::log,
  /// component "chat", as warnings).
  std::function<void(const std::string&)> log{};
};

/// What a split server refused to believe from the other node: a message
/// from a node that may not speak for the session (or the node) it names.
/// Each is dropped and counted by kind (the message type); the first of a
/// kind is logged, the rest only counted, so that a node that keeps
/// sending them cannot flood the log. Thread-safe.
class Refusals {
 public:
  explicit Refusals(std::function<void(const std::string&)> log) : log_(std::move(log)) {}

  /// Counts one refusal of `kind`; logs it if it is the first of its kind.
  void refuse(std::string_view kind, const std::string& why);
  /// Refusals of `kind` so far (empty: of every kind).
  std::uint64_t count(std::string_view kind = {}) const;
  /// Waits up to `limit` until there were `n` refusals of `kind` (empty:
  /// of every kind); true if there were.
  bool wait_for(std::string_view kind, std::uint64_t n, std::chrono::milliseconds limit) const;

 private:
  std::uint64_t count_locked(std::string_view kind) const;

  std::function<void(const std::string&)> log_;
  mutable std::mutex mutex_;
  mutable std::condition_variable counted_;
  std::map<std::string, std::uint64_t, std::less<>> counts_;
};

/// Counts the live sessions, so that a shutdown can wait for them to say
/// goodbye. Thread-safe.
class SessionCounter {
 public:
  void enter() {
    std::lock_guard lock(mutex_);
    ++live_;
  }
  void leave() {
    std::lock_guard lock(mutex_);
    if (--live_ == 0) zero_.notify_all();
  }
  std::size_t live() const {
    std::lock_guard lock(mutex_);
    return live_;
  }
  /// True if none were left within `limit`.
  bool wait_for_none(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return zero_.wait_for(lock, limit, [this] { return live_ == 0; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable zero_;
  std::size_t live_ = 0;
};

/// Counts the open connections per source address, for the per-address
/// limit: the acceptor enters, the session leaves. Thread-safe.
class AddressCounter {
 public:
  /// Counts one more connection from `host` unless it has `limit` open
  /// already (0: no limit). True if counted.
  bool try_enter(const std::string& host, std::size_t limit) {
    std::lock_guard lock(mutex_);
    std::size_t& open = open_[host];
    if (limit != 0 && open >= limit) return false;
    ++open;
    return true;
  }
  void leave(const std::string& host) {
    std::lock_guard lock(mutex_);
    auto it = open_.find(host);
    if (it == open_.end()) return;
    if (--it->second == 0) open_.erase(it);  // no entry per address ever seen
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> open_;
};

/// What every actor of one server shares: the options, the directory, the
/// live-session count, the refusals. Made by ChatServer and shared (shared_ptr) by its
/// actors; the fields are set before any actor reads them and not changed
/// after, except the thread-safe counters.
///
/// It holds no ActorRef: actors find each other through the Directory, by
/// names that are freed when their actors stop.
struct ServerContext {
  ServerContext(troupe::ActorSystem& system, ServerOptions opts)
      : options(std::move(opts)), directory(system), refusals(options.log) {}

  ServerOptions options;
  Directory directory;
  std::string created;  // for the 003 reply
  SessionCounter sessions;
  AddressCounter addresses;
  Refusals refusals;
};

}  // namespace chat
