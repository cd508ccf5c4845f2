// troupe-chat: an IRC server (a subset of RFC 1459/2812) built from actors.
// Real clients can use it: irssi -c 127.0.0.1 -p 6667
//
//   troupe-chat [--host 127.0.0.1] [--port 6667] [--name troupe.chat]
//               [--max-backlog 1024] [--register-timeout 60] [--ping-interval 120]
//               [--ping-timeout 60] [--max-connections-per-address 10]
//               [--metrics 127.0.0.1:9464]
//
// Split over two processes (or machines): the registry and the rooms on
// one node, the client connections on another, talking over gRPC. Both
// prove a shared cluster secret of at least 32 bytes (they refuse to start
// without one, unless --insecure):
//
//   openssl rand -hex 32 > chat.secret
//   troupe-chat --rooms-node 127.0.0.1:7000 --secret-file chat.secret
//   troupe-chat --rooms 127.0.0.1:7000 --secret-file chat.secret [--host ...] [--port ...]
//
// A cluster of any number of nodes on etcd: every node accepts clients,
// channels are placed across the nodes (and moved to a survivor when a node
// dies), nicks are unique cluster-wide:
//
//   troupe-chat --cluster 127.0.0.1:2379 --node-listen 127.0.0.1:7001
//               --secret-file chat.secret [--lease-ttl 5] [--host ...] [--port ...]
//
// --metrics HOST:PORT serves the framework's metrics (Prometheus text format)
// at http://HOST:PORT/metrics and the live dump at /dump, in any mode.
//
// Ctrl-C (SIGINT) or SIGTERM stops it: clients get an ERROR line first.
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <pthread.h>
#include <sys/resource.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/cluster/cluster.hpp>
#include <troupe/metrics/metrics_server.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/clock.hpp>

#include "chat/server.hpp"

namespace {

// To stdout for --help, to stderr for a mistake.
void usage(const char* argv0, std::FILE* out = stderr) {
  std::fprintf(out,
               "usage: %s [--host ADDRESS] [--port PORT] [--name SERVER-NAME] "
               "[--max-backlog LINES]\n"
               "          [--register-timeout SECONDS] [--ping-interval SECONDS]\n"
               "          [--ping-timeout SECONDS] [--max-connections-per-address N]\n"
               "          [--metrics HOST:PORT]\n"
               "       %s --rooms-node HOST:PORT --secret-file PATH   (the rooms of a split "
               "server)\n"
               "       %s --rooms HOST:PORT --secret-file PATH [--host ADDRESS] [--port PORT] ...\n"
               "                                (its connections)\n"
               "       %s --cluster ETCD[,ETCD...] --node-listen HOST:PORT --secret-file PATH\n"
               "          [--lease-ttl SECONDS] [--host ADDRESS] [--port PORT] ...\n"
               "                                (one node of a chat cluster on etcd)\n"
               "\n"
               "  --max-backlog LINES       lines queued for a client before it is dropped "
               "(1024)\n"
               "  --register-timeout S      time to complete NICK and USER (60; 0: no limit)\n"
               "  --ping-interval S         silence before the server sends a PING (120; 0: "
               "never)\n"
               "  --ping-timeout S          silence after that PING before the client is "
               "dropped (60; 0: never)\n"
               "  --metrics HOST:PORT       serve metrics (Prometheus text format) at\n"
               "                            http://HOST:PORT/metrics, the live dump at /dump\n"
               "                            (any mode)\n"
               "  --max-connections-per-address N\n"
               "                            open connections per source address, loopback "
               "included (10; 0: no limit)\n"
               "\n"
               "A split server's two nodes prove to each other that they share a cluster\n"
               "secret of at least 32 bytes; without one they refuse to start. Make it once\n"
               "and give the same file to both:\n"
               "    openssl rand -hex 32 > chat.secret\n"
               "  --secret-file PATH        read the secret from PATH (one trailing newline is\n"
               "                            dropped)\n"
               "  --secret S                the secret itself (visible to anyone who can run "
               "ps:\n"
               "                            prefer --secret-file)\n"
               "  --insecure                start a split node without a secret, or with a "
               "short one:\n"
               "                            it then proves nothing (tests on one machine only)\n",
               argv0, argv0, argv0, argv0);
}

// The smallest cluster secret a split server starts with (as the remote
// module requires unless told it is insecure).
constexpr std::size_t kMinSecretBytes = 32;

// The contents of `path`, less one trailing newline; empty if unreadable
// (`error` says why).
std::optional<std::string> read_secret_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  std::string secret = contents.str();
  if (secret.ends_with("\r\n")) {
    secret.resize(secret.size() - 2);
  } else if (secret.ends_with('\n')) {
    secret.pop_back();
  }
  return secret;
}

// Seconds, fractions allowed, as a Duration; empty if not a number >= 0.
std::optional<troupe::Duration> parse_seconds(const char* text) {
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (end == text || *end != '\0' || !std::isfinite(seconds) || seconds < 0 || seconds > 1e9) {
    return std::nullopt;
  }
  return std::chrono::duration_cast<troupe::Duration>(std::chrono::duration<double>(seconds));
}

// Each client is a socket: allow as many as the hard limit does.
void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Waits for SIGINT or SIGTERM (blocked in every thread: see main), then
// says goodbye and stops, the node before the system it runs on.
int wait_and_stop(chat::ChatServer& server, std::optional<troupe::cluster::Cluster>& cluster,
                  std::optional<troupe::remote::Node>& node, troupe::ActorSystem& system,
                  std::optional<troupe::MetricsServer>& metrics, bool rooms_only) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  if (rooms_only) {
    std::printf("\ntroupe-chat: %s, stopping the rooms node\n", strsignal(signal));
  } else {
    std::printf("\ntroupe-chat: %s, saying goodbye to %zu client(s)\n", strsignal(signal),
                server.live_sessions());
  }
  if (metrics) metrics->stop();  // it reads the node and the system
  server.stop();
  if (cluster) cluster->shutdown();  // leaves: its channels move at once
  if (node) node->shutdown();
  system.shutdown();
  std::printf("troupe-chat: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  chat::ServerOptions options;
  std::string rooms_node;   // --rooms-node: listen here, serve rooms only
  std::string rooms;        // --rooms: the rooms node to use
  std::string cluster;      // --cluster: etcd endpoints, comma-separated
  std::string node_listen;  // --node-listen: this cluster node's address
  long lease_ttl = 5;       // --lease-ttl
  std::string secret;       // --secret
  std::string secret_file;  // --secret-file
  std::string metrics;      // --metrics: serve metrics on HOST:PORT
  bool secret_given = false;
  bool insecure = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--rooms-node" && has_value) {
      rooms_node = argv[++i];
    } else if (arg == "--rooms" && has_value) {
      rooms = argv[++i];
    } else if (arg == "--cluster" && has_value) {
      cluster = argv[++i];
    } else if (arg == "--node-listen" && has_value) {
      node_listen = argv[++i];
    } else if (arg == "--lease-ttl" && has_value) {
      lease_ttl = std::strtol(argv[++i], nullptr, 10);
      if (lease_ttl <= 0) {
        usage(argv[0]);
        return 2;
      }
    } else if (arg == "--secret" && has_value) {
      secret = argv[++i];
      secret_given = true;
    } else if (arg == "--secret-file" && has_value) {
      secret_file = argv[++i];
    } else if (arg == "--insecure") {
      insecure = true;
    } else if (arg == "--metrics" && has_value) {
      metrics = argv[++i];
    } else if (arg == "--host" && has_value) {
      options.host = argv[++i];
    } else if (arg == "--port" && has_value) {
      const long port = std::strtol(argv[++i], nullptr, 10);
      if (port < 0 || port > 65535) {
        usage(argv[0]);
        return 2;
      }
      options.port = static_cast<std::uint16_t>(port);
    } else if (arg == "--name" && has_value) {
      options.server_name = argv[++i];
    } else if (arg == "--max-backlog" && has_value) {
      const long lines = std::strtol(argv[++i], nullptr, 10);
      if (lines <= 0) {
        usage(argv[0]);
        return 2;
      }
      options.max_backlog = static_cast<std::size_t>(lines);
    } else if ((arg == "--register-timeout" || arg == "--ping-interval" ||
                arg == "--ping-timeout") &&
               has_value) {
      const auto d = parse_seconds(argv[++i]);
      if (!d) {
        usage(argv[0]);
        return 2;
      }
      (arg == "--register-timeout" ? options.register_timeout
       : arg == "--ping-interval"  ? options.ping_interval
                                   : options.ping_timeout) = *d;
    } else if (arg == "--max-connections-per-address" && has_value) {
      char* end = nullptr;
      const char* text = argv[++i];
      const long n = std::strtol(text, &end, 10);
      if (end == text || *end != '\0' || n < 0) {
        usage(argv[0]);
        return 2;
      }
      options.max_connections_per_address = static_cast<std::size_t>(n);
    } else if (arg == "--help" || arg == "-h") {
      usage(argv[0], stdout);
      return 0;
    } else {
      usage(argv[0]);
      return 2;
    }
  }
  raise_file_limit();

  // Signals are taken synchronously by this thread (wait_and_stop), never
  // by a handler: blocked here, before the system starts its workers, so
  // that every thread inherits the mask and none is interrupted.
  // An ignored signal is discarded, never pending, so sigwait would not
  // see it: SIGTERM gets its default back. SIGINT keeps an inherited
  // SIG_IGN (a shell starts background jobs so, to shield them from Ctrl-C).
  std::signal(SIGTERM, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const int modes = !rooms_node.empty() + !rooms.empty() + !cluster.empty();
  if (modes > 1 || cluster.empty() != node_listen.empty()) {
    usage(argv[0]);
    return 2;
  }
  const bool split = !rooms_node.empty() || !rooms.empty();
  if (split || !cluster.empty()) {
    // Secure by default: a node that anyone who reaches it may join (and
    // whose frames anyone on the path may alter) is not started by mistake.
    if (secret_given && !secret_file.empty()) {
      std::fprintf(stderr, "troupe-chat: give --secret-file or --secret, not both\n");
      return 2;
    }
    if (!secret_file.empty()) {
      std::string error;
      auto read = read_secret_file(secret_file, error);
      if (!read) {
        std::fprintf(stderr, "troupe-chat: cannot read the secret file %s: %s\n",
                     secret_file.c_str(), error.c_str());
        return 2;
      }
      secret = std::move(*read);
    }
    if (secret.size() < kMinSecretBytes && !insecure) {
      std::fprintf(
          stderr,
          "troupe-chat: a split server or a cluster node needs a cluster secret of at least %zu "
          "bytes "
          "(%s)\n"
          "  make one:  openssl rand -hex 32 > chat.secret\n"
          "  and give it to every node:  --secret-file chat.secret\n"
          "  (--insecure starts without one, for a test on one machine only)\n",
          kMinSecretBytes,
          secret.empty() ? "none given" : (std::to_string(secret.size()) + " bytes given").c_str());
      return 2;
    }
    if (secret.size() < kMinSecretBytes) {
      std::fprintf(stderr,
                   "troupe-chat: --insecure: this node proves nothing to its peer; anyone who "
                   "can reach it can join. Never on a network others can reach.\n");
    }
  }

  troupe::ActorSystem system;
  std::optional<troupe::remote::Node> node;
  std::optional<troupe::cluster::Cluster> chat_cluster;
  chat::ChatServer server(system, options);
  std::optional<troupe::MetricsServer> metrics_server;
  // After the node (if any): its peers are reported too.
  auto serve_metrics = [&]() -> bool {
    if (metrics.empty()) return true;
    try {
      metrics_server.emplace(
          system, troupe::MetricsOptions{.listen = metrics, .node = node ? &*node : nullptr});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "troupe-chat: metrics: %s\n", e.what());
      return false;
    }
    std::printf("troupe-chat: metrics on http://%s/metrics\n",
                metrics_server->local_address().to_string().c_str());
    return true;
  };
  if (!cluster.empty()) {
    troupe::cluster::ClusterOptions co;
    co.name = "troupe-chat";
    for (std::string_view rest = cluster; !rest.empty();) {
      const auto comma = rest.find(',');
      co.etcd.endpoints.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    co.lease_ttl = std::chrono::seconds(lease_ttl);
    // A channel with members is never idle for long; an empty one goes
    // after this (its members' nodes bring them back if it had any).
    co.passivate_after = std::chrono::minutes(10);
    try {
      node.emplace(system,
                   troupe::remote::NodeOptions{
                       .listen = node_listen, .cluster_secret = secret, .insecure = insecure});
      chat_cluster.emplace(*node, std::move(co));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "troupe-chat: %s\n", e.what());
      return 1;
    }
    server.join_cluster(*node, *chat_cluster);
    chat_cluster->start();
    if (!system.block_on(chat_cluster->wait_joined(std::chrono::seconds(30)))) {
      std::fprintf(stderr, "troupe-chat: did not join the cluster through etcd at %s within 30 s\n",
                   cluster.c_str());
      chat_cluster->shutdown();
      node->shutdown();
      return 1;
    }
    std::printf("troupe-chat: cluster node %s (etcd %s)\n", node->name().c_str(), cluster.c_str());
  }
  if (!rooms_node.empty()) {
    try {
      node.emplace(system,
                   troupe::remote::NodeOptions{
                       .listen = rooms_node, .cluster_secret = secret, .insecure = insecure});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "troupe-chat: %s\n", e.what());
      return 1;
    }
    server.serve_rooms(*node);
    if (!serve_metrics()) {
      node->shutdown();
      return 1;
    }
    std::printf("troupe-chat: rooms node on %s\n", node->address().c_str());
    // The same secret, never echoed: its file, or a placeholder.
    const std::string secret_hint = !secret_file.empty() ? "--secret-file " + secret_file
                                    : secret.size() >= kMinSecretBytes ? std::string("--secret ...")
                                                                       : std::string("--insecure");
    std::printf("start its connections:  troupe-chat --rooms %s %s\n", node->address().c_str(),
                secret_hint.c_str());
    std::fflush(stdout);
    return wait_and_stop(server, chat_cluster, node, system, metrics_server, true);
  }
  if (!rooms.empty()) {
    try {
      node.emplace(system, troupe::remote::NodeOptions{
                               .seeds = {rooms}, .cluster_secret = secret, .insecure = insecure});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "troupe-chat: %s\n", e.what());
      return 1;
    }
    if (!server.use_rooms_at(*node, rooms, std::chrono::seconds(10))) {
      std::fprintf(stderr, "troupe-chat: no rooms node answered at %s\n", rooms.c_str());
      node->shutdown();
      return 1;
    }
  }
  if (!serve_metrics()) {
    if (chat_cluster) chat_cluster->shutdown();
    if (node) node->shutdown();
    return 1;
  }
  auto address = server.start();
  if (!address) {
    std::fprintf(stderr, "troupe-chat: cannot listen on %s port %u: %s\n", options.host.c_str(),
                 static_cast<unsigned>(options.port), address.error().message().c_str());
    return 1;
  }
  const std::string ip = address->ip_string();
  const unsigned port = address->port();
  std::printf("troupe-chat: listening on %s\n", address->to_string().c_str());
  std::printf("connect a client:  irssi -c %s -p %u\n", ip.c_str(), port);
  std::printf("              or:  ii -s %s -p %u -n yournick   (files under ~/irc)\n", ip.c_str(),
              port);
  std::printf("Ctrl-C stops the server.\n");
  std::fflush(stdout);

  return wait_and_stop(server, chat_cluster, node, system, metrics_server, false);
}
