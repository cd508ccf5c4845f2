#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <troupe/channels/mpsc.hpp>
#include <troupe/remote/detail/connection.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::remote {

namespace detail {
class NodeCore;
}

/// A network other than the operating system's for a Node to live on:
/// where its connections are accepted and dialed, and what it takes from
/// the outside world that a replay must be able to repeat (its incarnation,
/// the wall clock of deadlines on the wire). The simulation's SimNetwork
/// (sim/sim_network.hpp) is one: many Nodes on one SimScheduler, with
/// latency, partitions and crashes. Set in NodeOptions::network; without
/// it a Node uses TCP or gRPC.
///
/// The connections on it are the same Connection as on TCP (handshake,
/// sealed frames, keepalive, incarnations): a Network only carries frames
/// (a direct Connection::Stream, remote/detail/connection.hpp). Shared by
/// the Nodes on it, which call it from their runtime's threads; an
/// implementation says what is thread-safe (a simulation's is
/// single-threaded, as its scheduler).
class Network {
 public:
  virtual ~Network() = default;

  /// `node` listens at `address` (NodeOptions::listen): returns the address
  /// as bound, or throws std::runtime_error (taken, malformed). Each
  /// connection that arrives runs as an accepting Connection on `node`.
  virtual std::string listen(std::shared_ptr<detail::NodeCore> node,
                             const std::string& address) = 0;
  /// `node` stops listening (it shuts down); its connections are not touched.
  virtual void unlisten(const detail::NodeCore& node) = 0;
  /// Dials `address` for `connection` (claimed for its peer by the node's
  /// dialer) and runs it: the outcome, as Connection::run gives it. One
  /// that cannot be made ends as UNAVAILABLE (Connection::unreachable);
  /// `stop` closed ends the attempt too.
  virtual Task<detail::Connection::Outcome> dial(std::shared_ptr<detail::NodeCore> node,
                                                 std::shared_ptr<detail::Connection> connection,
                                                 std::string address, MpscReceiver<bool>& stop) = 0;
  /// A node's incarnation: random, never 0, different for every start.
  virtual std::uint64_t incarnation() = 0;
  /// Unix time now, in nanoseconds: the clock that envelopes' deadlines
  /// are written in and read against.
  virtual std::int64_t unix_nanos() = 0;
};

}  // namespace troupe::remote
