#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace troupe {

namespace remote {
class Node;
}

/// How a MetricsServer listens and what it reports: a plain value, copied
/// into the server.
struct MetricsOptions {
  /// IP:PORT to listen on, numeric as SocketAddress::parse reads it
  /// ("0.0.0.0:9464", "[::1]:9464"); port 0 picks a free one (see
  /// MetricsServer::local_address). 9464 is the usual port of a
  /// Prometheus exporter.
  std::string listen = "127.0.0.1:9464";
  /// A node whose peers are reported (troupe_remote_*): not owned; it must
  /// outlive the server (stop the server first). Null: no per-peer metrics.
  remote::Node* node = nullptr;
  /// The largest request head read (request line and headers); a longer
  /// one gets 431 and the connection is closed.
  std::size_t max_request_bytes = 8 * 1024;
  /// How long a client may take to send its request, and to read the
  /// answer, before the connection is dropped.
  std::chrono::milliseconds request_timeout{5000};
  /// The most connections served at once; the next are closed at once.
  std::size_t max_connections = 64;
};

}  // namespace troupe
