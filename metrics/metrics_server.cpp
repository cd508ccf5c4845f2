#include <array>
#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <span>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include <prometheus/text_serializer.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/system_dump.hpp>
#include <troupe/metrics/detail/http_request.hpp>
#include <troupe/metrics/detail/troupe_collector.hpp>
#include <troupe/metrics/metrics_server.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/detail/scheduler.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/tcp_listener.hpp>
#include <troupe/runtime/tcp_stream.hpp>

namespace troupe {

namespace detail {

/// What the server's tasks share with it: the options, the routes, the
/// collectors. Kept alive by each connection's task, so that a connection
/// being answered outlives stop(). Thread-safe (routes under the mutex).
struct MetricsServerState {
  struct Route {
    std::function<std::string()> body;
    std::string content_type;
  };

  MetricsServerState(ActorSystem& system, MetricsOptions o)
      : options(std::move(o)), collector(std::make_shared<TroupeCollector>(system, options.node)) {}

  std::string metrics_text() {
    std::vector<prometheus::MetricFamily> families = collector->Collect();
    std::vector<std::shared_ptr<prometheus::Collectable>> extra;
    {
      std::lock_guard lock(mutex);
      std::erase_if(collectables, [](const auto& w) { return w.expired(); });
      for (const auto& w : collectables) {
        if (auto c = w.lock()) extra.push_back(std::move(c));
      }
    }
    for (const auto& c : extra) {
      auto more = c->Collect();
      for (auto& f : more) families.push_back(std::move(f));
    }
    std::ostringstream text;
    prometheus::TextSerializer().Serialize(text, families);
    return text.str();
  }

  std::string respond(HttpParse parsed, const HttpRequest& request) {
    constexpr std::string_view kText = "text/plain; charset=utf-8";
    if (parsed == HttpParse::kTooLarge) return http_response(431, kText, "request too large\n");
    if (parsed != HttpParse::kDone) return http_response(400, kText, "bad request\n");
    const bool head = request.method == "HEAD";
    if (request.method != "GET" && !head) return http_response(405, kText, "GET only\n");
    try {
      if (request.path == "/metrics") {
        return http_response(200, "text/plain; version=0.0.4; charset=utf-8", metrics_text(), head);
      }
      Route route;
      {
        std::lock_guard lock(mutex);
        auto it = routes.find(request.path);
        if (it == routes.end()) return http_response(404, kText, "not found\n", head);
        route = it->second;
      }
      return http_response(200, route.content_type, route.body(), head);
    } catch (...) {
      return http_response(500, kText, "the handler failed\n", head);
    }
  }

  const MetricsOptions options;
  const std::shared_ptr<TroupeCollector> collector;
  std::atomic<std::size_t> connections{0};
  std::mutex mutex;  // guards the members below
  std::map<std::string, Route, std::less<>> routes;
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables;
  // The connections' tasks, for stop() to end; finished ones are dropped
  // at each accept.
  std::vector<JoinHandle<void>> connection_tasks;
};

namespace {

std::span<const std::byte> bytes_of(const std::string& s) noexcept {
  return std::as_bytes(std::span(s.data(), s.size()));
}

Task<void> serve_connection(std::shared_ptr<MetricsServerState> s, TcpStream stream) {
  struct Counted {
    std::atomic<std::size_t>& n;
    ~Counted() { n.fetch_sub(1, std::memory_order_relaxed); }
  } counted{s->connections};
  const Instant deadline = Clock::now() + s->options.request_timeout;
  std::array<std::byte, 2048> buffer;
  std::string head;
  HttpRequest request;
  HttpParse parsed = HttpParse::kIncomplete;
  while (parsed == HttpParse::kIncomplete) {
    auto read = stream.read(buffer);  // borrowed by select: not movable
    auto r = co_await select(read, sleep_until(deadline));
    if (r.index() != 0) co_return;  // too slow: dropped
    const IoResult<std::size_t>& n = std::get<0>(r);
    if (!n || *n == 0) co_return;  // gone before it asked
    head.append(reinterpret_cast<const char*>(buffer.data()), *n);
    parsed = parse_http_request(head, s->options.max_request_bytes, request);
  }
  const std::string response = s->respond(parsed, request);
  auto write = stream.write_all(bytes_of(response));
  auto written = co_await select(write, sleep_until(deadline));
  if (written.index() != 0) co_return;
  (void)stream.shutdown_write();
  // Read what the client still sends (the rest of a request too large)
  // until it closes: closing with unread bytes would reset the connection,
  // and the client could lose the answer.
  const Instant linger = std::min(deadline, Clock::now() + std::chrono::seconds(1));
  for (std::size_t drained = 0; drained < 1024 * 1024;) {
    auto read = stream.read(buffer);
    auto r = co_await select(read, sleep_until(linger));
    if (r.index() != 0) break;
    const IoResult<std::size_t>& n = std::get<0>(r);
    if (!n || *n == 0) break;
    drained += *n;
  }
}

Task<void> accept_loop(std::shared_ptr<MetricsServerState> s, TcpListener listener) {
  for (;;) {
    auto accepted = co_await listener.accept();
    if (!accepted) {
      // Out of descriptors, say: let some connections end first.
      co_await sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (s->connections.fetch_add(1, std::memory_order_relaxed) >= s->options.max_connections) {
      s->connections.fetch_sub(1, std::memory_order_relaxed);
      continue;  // the stream closes here
    }
    auto task = spawn(serve_connection(s, std::move(accepted->stream)));
    std::lock_guard lock(s->mutex);
    std::erase_if(s->connection_tasks, [](const auto& t) { return t.is_finished(); });
    s->connection_tasks.push_back(std::move(task));
  }
}

}  // namespace
}  // namespace detail

MetricsServer::MetricsServer(ActorSystem& system, MetricsOptions options) {
  auto address = SocketAddress::parse(options.listen);
  if (!address) {
    throw std::system_error(address.error(), "troupe metrics: bad address " + options.listen);
  }
  auto listener = TcpListener::bind(*address);
  if (!listener) {
    throw std::system_error(listener.error(), "troupe metrics: cannot listen on " + options.listen);
  }
  auto bound = listener->local_address();
  if (!bound) throw std::system_error(bound.error(), "troupe metrics: local address");
  address_ = *bound;
  state_ = std::make_shared<detail::MetricsServerState>(system, std::move(options));
  // The live dump: every actor and the wait-for graph of pending asks.
  serve("/dump", [&system] { return to_text(system.dump()); });
  serve(
      "/dump.json", [&system] { return to_json(system.dump()); }, "application/json");
  acceptor_.emplace(system.runtime().spawn(detail::accept_loop(state_, std::move(*listener))));
}

MetricsServer::~MetricsServer() { stop(); }

SocketAddress MetricsServer::local_address() const { return address_; }

void MetricsServer::serve(std::string path, std::function<std::string()> body,
                          std::string content_type) {
  std::lock_guard lock(state_->mutex);
  state_->routes[std::move(path)] = {std::move(body), std::move(content_type)};
}

void MetricsServer::add_collectable(std::weak_ptr<prometheus::Collectable> collectable) {
  std::lock_guard lock(state_->mutex);
  state_->collectables.push_back(std::move(collectable));
}

void MetricsServer::stop() {
  if (!acceptor_) return;
  // Outside the runtime's tasks, it waits until the listener is closed and
  // no connection reads the system (or the node) any more.
  const bool wait = detail::current_scheduler() == nullptr;
  auto end = [wait](JoinHandle<void>& task) {
    task.cancel();
    if (!wait) return;
    try {
      task.wait();
    } catch (...) {
      // TaskCancelled: as asked.
    }
  };
  end(*acceptor_);  // first: no connection is added after it
  acceptor_.reset();
  std::vector<JoinHandle<void>> connections;
  {
    std::lock_guard lock(state_->mutex);
    connections.swap(state_->connection_tasks);
  }
  for (auto& c : connections) end(c);
}

}  // namespace troupe
