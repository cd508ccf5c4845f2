#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <troupe/proto/decode_result.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe::remote {

class Network;

/// TLS for a node's connections, both ways: PEM files of this node's
/// certificate chain and private key, and of the CA that peers'
/// certificates must chain to. A peer's certificate must also name the
/// node it claims to be: one of its subject alternative names is the
/// node name of its Hello, or that name's host when it is "host:port".
struct TlsOptions {
  std::string cert_file{};
  std::string key_file{};
  std::string ca_file{};
  /// The name peers' certificates are checked against when dialing (empty:
  /// the host of the dialed address).
  std::string server_name_override{};
};

/// How a Node is set up. A plain value; every field has a default, so
/// designated initializers may name only what they change.
struct NodeOptions {
  /// "host:port" to accept peers on; port 0 picks a free one. Empty: the
  /// node only dials (peers cannot dial it back after a lost connection).
  std::string listen{};
  /// How peers know this node. Default: the address it listens on, as
  /// bound ("127.0.0.1:7001"). Peers dial seeds by address, so keeping the
  /// default lets two nodes that dial each other end up with one stream.
  std::string name{};
  /// Peers to connect to ("host:port"), dialed at start and redialed with
  /// backoff whenever the connection is lost. A membership service would
  /// plug in here: anything that calls Node::connect with the addresses it
  /// learns.
  std::vector<std::string> seeds{};
  /// Shared by every node of the cluster, at least 32 bytes (make one
  /// with `openssl rand -hex 32`): a node that does not prove it knows it
  /// is refused, and the keys that seal every frame come from it. Never sent.
  std::string cluster_secret{};
  /// What carries the streams between nodes. kTcp: the node's own
  /// transport, frames on TCP sockets driven by the runtime's reactor, read
  /// and written by the connection's tasks (a round trip crosses no
  /// threads of another library). kGrpc: a gRPC bidirectional stream per
  /// pair of nodes (HTTP/2 with its flow control and keepalive pings), the
  /// one that offers TLS. The handshake, the sealed frames, backpressure,
  /// incarnations and loss detection are the same on both; the nodes of a
  /// cluster must all use the same one. Default: kTcp, or kGrpc when `tls`
  /// is set.
  enum class Transport { kGrpc, kTcp };
  std::optional<Transport> transport{};
  /// TLS for the gRPC streams, with certificates that name the nodes.
  /// Without it, frames are still sealed (AES-256-GCM under keys from the
  /// secret); only the handshake's hellos are readable on the path.
  std::optional<TlsOptions> tls{};
  /// Another network than the machine's to listen and dial on: a
  /// simulation's (SimNetwork, sim/sim_network.hpp), whose nodes all run on
  /// one SimScheduler. Set, it replaces `transport` (and rules out `tls`):
  /// `listen`, `seeds` and the names are addresses on that network.
  std::shared_ptr<Network> network{};
  /// Lets the node start with a cluster secret shorter than 32 bytes
  /// (empty included), which proves nothing: for tests and experiments on
  /// one machine, never for a network others can reach.
  bool insecure = false;

  /// The largest frame (a batch of envelopes) either side accepts.
  std::size_t max_frame_bytes = std::size_t{4} << 20;
  /// Limits on each envelope's payload when it is decoded for its actor.
  proto::DecodeLimits decode{};
  /// Envelopes queued for one peer before tell refuses (kFull) and send waits.
  std::size_t outbox_capacity = 8192;
  /// Envelopes per frame, at most.
  std::size_t max_batch = 512;
  /// Redial backoff: doubles from min to max, with jitter.
  Duration reconnect_min = std::chrono::milliseconds(50);
  Duration reconnect_max = std::chrono::seconds(5);
  /// A stream whose handshake is not done by then, silent or stalled
  /// halfway, is dropped: without the secret, nobody holds a stream open.
  Duration handshake_timeout = std::chrono::seconds(5);
  /// Streams whose handshake is not done yet, at most, from everywhere and
  /// from one IP address: past either, new ones are refused at once, so
  /// strangers cannot hold the node's memory in unproven streams.
  std::size_t max_handshakes = 64;
  std::size_t max_handshakes_per_address = 8;
  /// Requests of one peer the node serves at once (asks to its actors and
  /// to the node): past it, the node stops reading from that peer until
  /// some are answered, which pushes back on the peer's senders.
  std::size_t max_served_per_peer = 1024;
  /// The deadline of a remote ask that came without one.
  Duration served_ask_timeout = std::chrono::seconds(60);
  /// HTTP/2 keepalive on every connection, both ways: a ping after this
  /// long. Finds a peer that stopped answering (a frozen process, a
  /// half-open TCP connection) which would otherwise look alive for as
  /// long as TCP keeps quiet.
  Duration keepalive_interval = std::chrono::seconds(10);
  /// A ping not answered within this is a lost connection (the node-down
  /// path: Down to monitors, pending asks fail, a dialer redials). Detection
  /// takes at most interval + timeout: 20 s by default, long enough for a
  /// busy or paused (GC, debugger) peer, short next to TCP's minutes.
  Duration keepalive_timeout = std::chrono::seconds(10);
  /// Where the node reports connections, losses and refusals, one line
  /// each (called on runtime threads). Default: the framework's log
  /// (troupe::log, component "remote <name>"; refusals as warnings).
  std::function<void(const std::string&)> log{};
};

}  // namespace troupe::remote
