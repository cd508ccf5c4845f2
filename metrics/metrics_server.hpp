#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <prometheus/collectable.h>

#include <troupe/metrics/metrics_options.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/socket_address.hpp>

namespace troupe {

class ActorSystem;

namespace detail {
struct MetricsServerState;
}

/// An HTTP endpoint with the metrics of an ActorSystem (and of a remote
/// Node's peers) in the Prometheus text format, at GET /metrics, and the
/// system's live dump (ActorSystem::dump) at GET /dump (text) and
/// /dump.json; other paths can be added with serve().
///
/// A tiny HTTP/1.1 server on the system's own runtime (its TcpListener, one
/// task per connection): GET or HEAD, one request per connection
/// (Connection: close), a bounded request head; anything else gets an error
/// status (400, 404, 405, 431) and never harms the server. The metrics are
/// read when scraped: the framework's per-thread counters summed
/// (process-wide: every ActorSystem of the process), the system's live
/// actors, a sample of its actors' mailbox depths (ActorSystem::dump), and
/// the node's peers. The exposition is prometheus-cpp's TextSerializer.
///
/// Owned by the application; it must not outlive the ActorSystem (nor the
/// Node given in the options). Construct it on any thread outside the
/// system's tasks: the constructor binds (throwing std::system_error if it
/// cannot), the destructor stops it. The members are thread-safe.
class MetricsServer {
 public:
  /// Listens on `options.listen` and serves /metrics. Needs a system that
  /// runs on a Runtime (not a TestExecutor).
  MetricsServer(ActorSystem& system, MetricsOptions options = {});
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  ~MetricsServer();

  /// The address actually bound (the chosen port after port 0).
  SocketAddress local_address() const;

  /// Serves GET `path` (e.g. "/dump") with what `body` returns, called on a
  /// worker of the runtime for each request (it must be thread-safe; a
  /// throw gives 500). Replaces an earlier handler of the same path.
  void serve(std::string path, std::function<std::string()> body,
             std::string content_type = "text/plain; charset=utf-8");

  /// Adds the application's own metrics (a prometheus::Registry, say) to
  /// /metrics. Held weakly: dropped once the application lets it go.
  void add_collectable(std::weak_ptr<prometheus::Collectable> collectable);

  /// Stops listening and ends the connections being served (cancelled);
  /// returns once none reads the system or the node any more. Idempotent.
  /// From one of the runtime's own tasks it cannot wait: it only cancels.
  void stop();

 private:
  std::shared_ptr<detail::MetricsServerState> state_;
  SocketAddress address_;
  std::optional<JoinHandle<void>> acceptor_;
};

}  // namespace troupe
