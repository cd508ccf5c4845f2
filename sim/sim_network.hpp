#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <troupe/actor/actor_system.hpp>
#include <troupe/remote/network.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/remote/node_options.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/sim/detail/sim_wire.hpp>
#include <troupe/sim/sim_random.hpp>
#include <troupe/sim/simulation.hpp>

namespace troupe {

/// How a SimNetwork carries frames.
struct SimNetworkOptions {
  /// One-way latency of each frame, drawn uniformly per frame. Frames of
  /// one connection arrive in the order they were sent (a frame drawn
  /// faster than the one before it waits for it); frames of different
  /// connections overtake each other.
  Duration min_latency = std::chrono::microseconds(20);
  Duration max_latency = std::chrono::milliseconds(2);
  /// A dial to a node cut off by a partition fails after this (nobody
  /// answers its SYN); a dial to a name nobody listens on is refused after
  /// one latency.
  Duration connect_timeout = std::chrono::milliseconds(200);
  /// How often a frame held by a partition is sent again, as TCP
  /// retransmits: it arrives after the partition heals, unless its
  /// connection was given up first (keepalive), with what it carried.
  Duration retransmit = std::chrono::milliseconds(50);
};

/// The network of a simulation: Nodes (remote::Node, the production code)
/// on one SimScheduler, connected by simulated TCP connections that carry
/// their sealed frames. The remote semantics (per-sender order, Down on a
/// lost node, asks failing kUnreachable, incarnations) hold here as on the
/// wire because the same Connection, Peer and NodeCore decide them; the
/// network only decides when frames arrive and what is cut.
///
/// Faults: partition(a, b) holds the frames between two nodes (each side
/// then finds the other silent and drops the connection, as on a real
/// network; after heal, they dial again); crash(a) cuts a node as a killed
/// process is cut: its peers' connections are reset, what it still sends
/// goes nowhere. Latencies, incarnations and the wall clock of deadlines
/// come from the run's seed, so a seed replays the network too. Network
/// events go into the simulation's trace (kNet).
///
/// Made with std::make_shared (nodes hold it through NodeOptions::network);
/// one per simulation run, on its thread only.
class SimNetwork final : public remote::Network, public std::enable_shared_from_this<SimNetwork> {
 public:
  SimNetwork(SimContext& sim, SimNetworkOptions options = {});

  /// NodeOptions for a node called `name` on this network (it listens
  /// there, under that name), tuned for simulated time: keepalive 500 ms +
  /// 500 ms, redials from 20 ms to 500 ms, a 1 s handshake deadline, node
  /// lines into the trace as notes.
  remote::NodeOptions node_options(const std::string& name,
                                   std::vector<std::string> seeds = {}) const;

  // --- Faults (recorded in the trace) --------------------------------------------
  /// Frames between `a` and `b` are held, both ways, until heal.
  void partition(const std::string& a, const std::string& b);
  void heal(const std::string& a, const std::string& b);
  /// `a` is cut off from every other node (current and future).
  void isolate(const std::string& a);
  void heal_all();
  bool reachable(const std::string& a, const std::string& b) const;
  /// `node` crashes: its listener is gone, its peers' connections are
  /// reset (after what was already on the way), and nothing it sends from
  /// now on arrives. The test then destroys its Node and ActorSystem.
  void crash(const std::string& node);
  bool crashed(const std::string& node) const { return crashed_.count(node) != 0; }
  /// Connections that have ended so far (closed, reset, or given up by
  /// either side): a test can tell a run in which every connection held
  /// (no fault, and no stall long enough for a keepalive to give up) from
  /// one in which messages may have been lost with one.
  std::uint64_t ended_connections() const noexcept { return ended_; }

  // --- remote::Network -----------------------------------------------------------
  std::string listen(std::shared_ptr<remote::detail::NodeCore> node,
                     const std::string& address) override;
  void unlisten(const remote::detail::NodeCore& node) override;
  Task<remote::detail::Connection::Outcome> dial(
      std::shared_ptr<remote::detail::NodeCore> node,
      std::shared_ptr<remote::detail::Connection> connection, std::string address,
      MpscReceiver<bool>& stop) override;
  std::uint64_t incarnation() override;
  std::int64_t unix_nanos() override;

  // --- For the streams ---------------------------------------------------------
  /// Sends a segment from `side` of `wire` to the other side (nothing
  /// from a crashed node); its arrival time is drawn here.
  void send(detail::SimWire& wire, int side, detail::SimSegment::Kind kind, std::string bytes);
  /// Side `side` of `wire` ends (FIN or reset): counted once per wire.
  void end(detail::SimWire& wire, int side, detail::SimSegment::Kind kind);
  /// Adds a network event to the trace.
  void record(std::string what);
  SimScheduler& scheduler() noexcept { return sim_.scheduler(); }
  const SimNetworkOptions& options() const noexcept { return options_; }

 private:
  SimContext& sim_;
  SimNetworkOptions options_;
  SimRandom random_;
  std::map<std::string, std::weak_ptr<remote::detail::NodeCore>> listeners_;
  std::set<std::pair<std::string, std::string>> cut_;  // partitioned pairs, a < b
  std::set<std::string> isolated_;
  std::set<std::string> crashed_;  // until the name listens again
  std::vector<std::weak_ptr<detail::SimWire>> wires_;
  std::uint64_t ended_ = 0;
};

/// One node of a simulated cluster: an ActorSystem on the simulation's
/// scheduler and a Node on a SimNetwork, under one name, that the test can
/// crash and start again (a new incarnation). `on_start` runs after each
/// start, to spawn and publish the node's actors.
///
/// Owned by the test body; destroyed before the SimContext. Single-threaded.
class SimNode {
 public:
  SimNode(SimContext& sim, std::shared_ptr<SimNetwork> network, std::string name,
          std::vector<std::string> seeds = {});
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;
  ~SimNode() { stop(); }

  const std::string& name() const noexcept { return name_; }
  bool up() const noexcept { return node_ != nullptr; }
  /// The running system and node (up() must hold).
  ActorSystem& system() { return *system_; }
  remote::Node& node() { return *node_; }
  /// Of the current run (0 while down).
  std::uint64_t incarnation() const noexcept { return node_ ? node_->incarnation() : 0; }

  /// Starts it (again): a fresh ActorSystem and Node, then on_start.
  void start();
  /// The process dies: the network cuts it first (its peers' connections
  /// reset, nothing more it says arrives), then its actors go without
  /// running on_stop, and its Node and ActorSystem with them.
  void crash();
  /// A clean stop: the Node closes its connections, the system shuts down.
  void stop();

  /// Keeps `thing` for this run of the node (from on_start: a server that
  /// borrows the system and the node): destroyed when the node stops or
  /// crashes, last kept first, before its Node and ActorSystem.
  template <class T>
  T& keep(std::unique_ptr<T> thing) {
    T& kept = *thing;
    kept_.push_back(std::shared_ptr<void>(std::move(thing)));
    return kept;
  }

  std::function<void(SimNode&)> on_start;

 private:
  void drop_kept() noexcept {
    while (!kept_.empty()) kept_.pop_back();
  }

  SimContext& sim_;
  std::shared_ptr<SimNetwork> network_;
  std::string name_;
  std::vector<std::string> seeds_;
  std::unique_ptr<ActorSystem> system_;
  std::unique_ptr<remote::Node> node_;
  std::vector<std::shared_ptr<void>> kept_;
};

}  // namespace troupe
