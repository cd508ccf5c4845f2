#include <algorithm>
#include <stdexcept>
#include <utility>
#include <variant>

#include <troupe/remote/detail/node_core.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/sim/detail/sim_frame_stream.hpp>
#include <troupe/sim/sim_network.hpp>

namespace troupe {

namespace {

using remote::detail::Connection;
using remote::detail::NodeCore;

std::pair<std::string, std::string> ordered(const std::string& a, const std::string& b) {
  return a < b ? std::pair(a, b) : std::pair(b, a);
}

// The wall clock of a simulation starts at 2026-01-01T00:00:00Z.
constexpr std::int64_t kEpochNanos = 1'767'225'600'000'000'000;

// 32 bytes: the secret every node of a simulation shares.
constexpr char kSecret[] = "simulated-cluster-secret-32bytes";

}  // namespace

SimNetwork::SimNetwork(SimContext& sim, SimNetworkOptions options)
    : sim_(sim), options_(options), random_(sim.scheduler().scheduler_random().next()) {}

remote::NodeOptions SimNetwork::node_options(const std::string& name,
                                             std::vector<std::string> seeds) const {
  remote::NodeOptions o;
  o.listen = name;
  o.seeds = std::move(seeds);
  o.cluster_secret = kSecret;
  o.network = std::const_pointer_cast<SimNetwork>(shared_from_this());
  o.keepalive_interval = std::chrono::milliseconds(500);
  o.keepalive_timeout = std::chrono::milliseconds(500);
  o.reconnect_min = std::chrono::milliseconds(20);
  o.reconnect_max = std::chrono::milliseconds(500);
  o.handshake_timeout = std::chrono::seconds(1);
  SimContext* sim = &sim_;
  o.log = [sim, name](const std::string& line) { sim->note(name + ": " + line); };
  return o;
}

void SimNetwork::record(std::string what) {
  sim_.scheduler().record(SimEventKind::kNet, 0, std::move(what));
}

// --- Faults ------------------------------------------------------------------------

void SimNetwork::partition(const std::string& a, const std::string& b) {
  cut_.insert(ordered(a, b));
  record("partition " + a + " | " + b);
}

void SimNetwork::heal(const std::string& a, const std::string& b) {
  cut_.erase(ordered(a, b));
  record("heal " + a + " | " + b);
}

void SimNetwork::isolate(const std::string& a) {
  isolated_.insert(a);
  record("isolate " + a);
}

void SimNetwork::heal_all() {
  cut_.clear();
  isolated_.clear();
  record("heal all");
}

bool SimNetwork::reachable(const std::string& a, const std::string& b) const {
  if (isolated_.count(a) != 0 || isolated_.count(b) != 0) return false;
  return cut_.count(ordered(a, b)) == 0;
}

void SimNetwork::crash(const std::string& node) {
  record("crash " + node);
  listeners_.erase(node);
  // Its kernel resets every connection it had: the peers read the reset
  // after whatever was already on its way to them.
  for (auto& w : wires_) {
    auto wire = w.lock();
    if (!wire) continue;
    for (int side = 0; side < 2; ++side) {
      if (wire->names[side] == node) end(*wire, side, detail::SimSegment::Kind::kReset);
    }
  }
  crashed_.insert(node);
}

void SimNetwork::end(detail::SimWire& wire, int side, detail::SimSegment::Kind kind) {
  if (wire.closed[side]) return;
  if (!wire.closed[1 - side]) ++ended_;
  send(wire, side, kind, {});
  wire.closed[side] = true;
}

void SimNetwork::send(detail::SimWire& wire, int side, detail::SimSegment::Kind kind,
                      std::string bytes) {
  if (crashed_.count(wire.names[side]) != 0) return;  // a dead process says nothing
  const int to = 1 - side;
  const Instant drawn =
      scheduler().now() + random_.duration(options_.min_latency, options_.max_latency);
  const Instant at = std::max(drawn, wire.last_arrival[to]);
  wire.last_arrival[to] = at;
  (void)wire.inbox_tx[to].try_send(detail::SimSegment{at, kind, std::move(bytes)});
}

// --- remote::Network ---------------------------------------------------------------

std::string SimNetwork::listen(std::shared_ptr<NodeCore> node, const std::string& address) {
  auto it = listeners_.find(address);
  if (it != listeners_.end() && !it->second.expired())
    throw std::runtime_error("troupe: cannot listen on " + address + ": taken (simulated)");
  listeners_[address] = node;
  crashed_.erase(address);
  record("listen " + address);
  return address;
}

void SimNetwork::unlisten(const NodeCore& node) {
  std::erase_if(listeners_, [&](const auto& entry) {
    auto core = entry.second.lock();
    return !core || core.get() == &node;
  });
}

Task<Connection::Outcome> SimNetwork::dial(std::shared_ptr<NodeCore> node,
                                           std::shared_ptr<Connection> connection,
                                           std::string address, MpscReceiver<bool>& stop) {
  auto self = shared_from_this();
  const std::string from = node->name();
  auto fail = [&](const std::string& why) {
    record("dial " + from + " -> " + address + " failed: " + why);
    return Connection::unreachable(*node, *connection, address, why);
  };
  // The SYN's way there.
  auto r = co_await select(sleep_for(random_.duration(options_.min_latency, options_.max_latency)),
                           stop.next());
  if (r.index() == 1) co_return fail("the dialer stopped");
  if (!reachable(from, address) || crashed_.count(from) != 0) {
    auto timeout = co_await select(sleep_for(options_.connect_timeout), stop.next());
    if (timeout.index() == 1) co_return fail("the dialer stopped");
    co_return fail("connect: no answer in time");
  }
  auto it = listeners_.find(address);
  std::shared_ptr<NodeCore> target = it == listeners_.end() ? nullptr : it->second.lock();
  if (!target) co_return fail("connect: connection refused");

  record("connect " + from + " -> " + address);
  auto wire = std::make_shared<detail::SimWire>(from, address);
  std::erase_if(wires_, [](const auto& w) { return w.expired(); });
  wires_.push_back(wire);
  auto accepted = std::make_shared<Connection>(target, Connection::Role::kAcceptor);
  auto accepted_stream = std::make_unique<detail::SimFrameStream>(self, wire, 1, accepted,
                                                                  Connection::Role::kAcceptor);
  target->run_detached([](std::shared_ptr<NodeCore> n, std::shared_ptr<Connection> c,
                          std::unique_ptr<detail::SimFrameStream> s) -> Task<void> {
    (void)co_await Connection::run_on(std::move(n), std::move(c), std::move(s));
  }(target, std::move(accepted), std::move(accepted_stream)));
  auto stream = std::make_unique<detail::SimFrameStream>(self, wire, 0, connection,
                                                         Connection::Role::kDialer);
  Connection::Outcome outcome =
      co_await Connection::run_on(std::move(node), std::move(connection), std::move(stream));
  co_return outcome;
}

std::uint64_t SimNetwork::incarnation() {
  std::uint64_t v = 0;
  while (v == 0) v = random_.next();
  return v;
}

std::int64_t SimNetwork::unix_nanos() {
  return kEpochNanos +
         std::chrono::duration_cast<std::chrono::nanoseconds>(scheduler().elapsed()).count();
}

// --- SimNode -----------------------------------------------------------------------

SimNode::SimNode(SimContext& sim, std::shared_ptr<SimNetwork> network, std::string name,
                 std::vector<std::string> seeds)
    : sim_(sim), network_(std::move(network)), name_(std::move(name)), seeds_(std::move(seeds)) {}

void SimNode::start() {
  stop();
  sim_.note("start " + name_);
  system_ = std::make_unique<ActorSystem>(sim_.scheduler(),
                                          ActorSystemOptions{.log = sim_.log_to_trace()});
  node_ = std::make_unique<remote::Node>(*system_, network_->node_options(name_, seeds_));
  if (on_start) on_start(*this);
}

void SimNode::crash() {
  if (!up()) return;
  network_->crash(name_);
  system_->core().abandon();
  drop_kept();
  node_.reset();
  system_.reset();
}

void SimNode::stop() {
  if (!up()) return;
  sim_.note("stop " + name_);
  drop_kept();
  node_.reset();
  system_.reset();
}

}  // namespace troupe
