#include <algorithm>
#include <cstdint>
#include <exception>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <troupe/remote/detail/connection.hpp>
#include <troupe/remote/detail/handshake.hpp>
#include <troupe/remote/detail/reactors.hpp>
#include <troupe/remote/detail/tcp_transport.hpp>
#include <troupe/remote/network.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/tcp_listener.hpp>

namespace troupe::remote {

namespace detail {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("troupe: cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int millis(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::clamp<std::int64_t>(ms, 1, std::numeric_limits<int>::max()));
}

// Keepalive pings find a peer that stopped answering without closing its
// socket (frozen, a crash, a cable): an unanswered ping closes the
// transport, which fails the stream and takes the node-down path.
void tune(grpc::ChannelArguments& args, const NodeOptions& o) {
  args.SetMaxReceiveMessageSize(static_cast<int>(o.max_frame_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(o.max_frame_bytes));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, millis(o.keepalive_interval));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, millis(o.keepalive_timeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);  // an idle stream is pinged too
  // Our own backoff redials; gRPC's reconnect must not sit on a dead peer.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  if (o.tls && !o.tls->server_name_override.empty())
    args.SetSslTargetNameOverride(o.tls->server_name_override);
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const NodeOptions& o) {
  if (!o.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read_file(o.tls->ca_file);
  ssl.pem_private_key = read_file(o.tls->key_file);
  ssl.pem_cert_chain = read_file(o.tls->cert_file);
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::ServerCredentials> server_credentials(const NodeOptions& o) {
  if (!o.tls) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = read_file(o.tls->ca_file);
  ssl.pem_key_cert_pairs.push_back({read_file(o.tls->key_file), read_file(o.tls->cert_file)});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

/// Keeps one seed connected: dials it, runs the connection while it
/// lasts, and redials with jittered exponential backoff after a loss or a
/// failed attempt. Owned by the Node; its loop is a task on the runtime.
class Dialer {
 public:
  Dialer(std::shared_ptr<NodeCore> node, std::string address)
      : node_(std::move(node)), address_(std::move(address)) {
    auto [tx, rx] = channel::mpsc::unbounded<bool>();
    stop_tx_ = std::move(tx);
    const NodeOptions& o = node_->options();
    if (!o.network && *o.transport == NodeOptions::Transport::kGrpc) {
      grpc::ChannelArguments args;
      tune(args, o);
      stub_ =
          v1::Cluster::NewStub(grpc::CreateCustomChannel(address_, channel_credentials(o), args));
    }
    loop_ = troupe::detail::spawn_on(node_->system().core().scheduler(), run(std::move(rx)));
  }

  const std::string& address() const noexcept { return address_; }
  /// Stops redialing; the connection itself is cancelled by the node.
  void stop() noexcept { stop_tx_.close(); }
  /// Waits for the loop to end (from outside the runtime).
  void join() {
    if (!node_->drive_until([this] { return loop_.is_finished(); })) loop_.wait();
  }

 private:
  Task<void> run(MpscReceiver<bool> stop) {
    const NodeOptions& o = node_->options();
    std::mt19937_64 rng(node_->incarnation() ^ std::hash<std::string>{}(address_));
    Duration backoff = o.reconnect_min;
    bool reported = false;  // one line per outage, not one per attempt
    while (!stop.is_closed()) {
      auto peer = node_->peer(address_);
      auto connection = std::make_shared<Connection>(node_, Connection::Role::kDialer, address_);
      if (!peer->begin_dial(*connection)) {
        // Held by another stream (it dialed us): wait until it lets go.
        auto free = peer->when(Peer::Wait::kFree);
        auto r = co_await select(free.next(), stop.next());
        if (r.index() == 1) break;
        continue;
      }
      Connection::Outcome outcome;
      if (o.network) {
        outcome = co_await o.network->dial(node_, std::move(connection), address_, stop);
      } else if (stub_) {
        auto* reactor = new ClientReactor(connection);
        const bool open = node_->open_stream(connection);
        reactor->start(*stub_);
        if (!open) connection->cancel("the node is shutting down");
        outcome = co_await connection->run();
      } else {
        outcome = co_await dial_tcp(node_, std::move(connection), address_, stop);
      }
      if (outcome.was_up) {
        backoff = o.reconnect_min;
        reported = false;
      } else {
        const auto code = outcome.status.error_code();
        if (code != grpc::StatusCode::ALREADY_EXISTS && !reported && !stop.is_closed()) {
          node_->log(
              "cannot connect to " + address_ + ": " + outcome.status.error_message() +
                  (code == grpc::StatusCode::PERMISSION_DENIED ? " (check the cluster secret)"
                                                               : ""),
              LogLevel::kWarning);
          reported = true;
        }
        backoff = std::min<Duration>(backoff * 2, o.reconnect_max);
      }
      std::uniform_int_distribution<std::int64_t> jitter(backoff.count() / 2, backoff.count());
      auto r = co_await select(sleep_for(Duration(jitter(rng))), stop.next());
      if (r.index() == 1) break;
    }
  }

  std::shared_ptr<NodeCore> node_;
  std::string address_;
  std::unique_ptr<v1::Cluster::Stub> stub_;
  MpscSender<bool> stop_tx_;
  JoinHandle<void> loop_;
};

}  // namespace detail

namespace {
// Secure by default: a weak secret is an explicit choice.
NodeOptions checked(NodeOptions o) {
  if (!o.insecure && o.cluster_secret.size() < detail::kMinSecretBytes) {
    throw std::invalid_argument(
        "troupe: the cluster secret must be at least " + std::to_string(detail::kMinSecretBytes) +
        " bytes (make one with `openssl rand -hex 32`); NodeOptions::insecure allows a weaker one, "
        "for tests on one machine");
  }
  if (!o.transport)
    o.transport = o.tls ? NodeOptions::Transport::kGrpc : NodeOptions::Transport::kTcp;
  if (o.tls && (o.network || *o.transport != NodeOptions::Transport::kGrpc))
    throw std::invalid_argument("troupe: TLS between nodes needs the gRPC transport");
  if (!o.name.empty() && o.name.size() > detail::kMaxNodeName)
    throw std::invalid_argument("troupe: a node name is at most 255 bytes");
  return o;
}
}  // namespace

Node::Node(ActorSystem& system, NodeOptions options)
    : core_(std::make_shared<detail::NodeCore>(system, checked(std::move(options)))) {
  const NodeOptions& o = core_->options();
  if (!o.listen.empty() && o.network) {
    address_ = o.network->listen(core_, o.listen);
  } else if (!o.listen.empty() && *o.transport == NodeOptions::Transport::kTcp) {
    auto at = detail::resolve_address(o.listen);
    if (!at) throw std::runtime_error("troupe: cannot listen on " + o.listen + ": bad address");
    auto listener = TcpListener::bind(*at);
    if (!listener) {
      throw std::runtime_error("troupe: cannot listen on " + o.listen + ": " +
                               listener.error().message());
    }
    auto bound = listener->local_address();
    if (!bound) throw std::runtime_error("troupe: cannot listen on " + o.listen);
    address_ = o.listen.substr(0, o.listen.rfind(':')) + ":" + std::to_string(bound->port());
    acceptor_ = troupe::detail::spawn_on(core_->system().core().scheduler(),
                                         detail::accept_tcp(core_, std::move(*listener)));
  } else if (!o.listen.empty()) {
    service_ = std::make_unique<detail::ClusterService>(core_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(o.listen, detail::server_credentials(o), &port);
    builder.RegisterService(service_.get());
    builder.SetMaxReceiveMessageSize(static_cast<int>(o.max_frame_bytes));
    builder.SetMaxSendMessageSize(static_cast<int>(o.max_frame_bytes));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, detail::millis(o.keepalive_interval));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, detail::millis(o.keepalive_timeout));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    // Dialers ping at their own interval, which may be shorter than ours;
    // only pings closer than 100 ms count as abuse (a flood of them, as an
    // HTTP/2 ping flood would send, is answered with GOAWAY).
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 100);
    // A connection that never gets as far as a stream (no HTTP/2 preface,
    // an unfinished TLS handshake) has the same deadline as one whose
    // stream never finishes our handshake, not gRPC's default of 120 s.
    builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                               detail::millis(o.handshake_timeout));
    server_ = builder.BuildAndStart();
    if (!server_ || port == 0) throw std::runtime_error("troupe: cannot listen on " + o.listen);
    address_ = o.listen.substr(0, o.listen.rfind(':')) + ":" + std::to_string(port);
  }
  if (!o.name.empty()) {
    core_->set_name(o.name);
  } else if (!address_.empty()) {
    core_->set_name(address_);
  } else {
    std::ostringstream name;
    name << "node-" << std::hex << core_->incarnation();
    core_->set_name(name.str());
  }
  core_->start_agent();
  for (const auto& seed : o.seeds) connect(seed);
}

Node::~Node() { shutdown(); }

void Node::connect(const std::string& address) {
  std::lock_guard lock(dialers_mutex_);
  if (shut_down_ || address == name() || address == address_) return;
  for (const auto& d : dialers_)
    if (d->address() == address) return;
  dialers_.push_back(std::make_unique<detail::Dialer>(core_, address));
}

void Node::disconnect(const std::string& node) {
  {
    std::lock_guard lock(dialers_mutex_);
    if (shut_down_) return;
    auto it = std::find_if(dialers_.begin(), dialers_.end(),
                           [&](const auto& d) { return d->address() == node; });
    if (it != dialers_.end()) {
      (*it)->stop();  // its loop ends once the connection below is gone
      stopped_dialers_.push_back(std::move(*it));
      dialers_.erase(it);
    }
  }
  if (auto peer = core_->find_peer(node)) peer->drop("it left the cluster");
}

Task<bool> Node::wait_for(std::string node, Duration timeout) {
  return wait_until(core_->peer(node), detail::Peer::Wait::kUp, timeout);
}

Task<bool> Node::wait_gone(std::string node, Duration timeout) {
  auto peer = core_->find_peer(node);
  if (!peer) return []() -> Task<bool> { co_return true; }();  // never known, or forgotten
  return wait_until(std::move(peer), detail::Peer::Wait::kFree, timeout);
}

Task<bool> Node::wait_until(std::shared_ptr<detail::Peer> peer, detail::Peer::Wait what,
                            Duration timeout) {
  auto state = peer->when(what);
  auto r = co_await select(state.next(), sleep_for(timeout));
  if (r.index() != 0) co_return false;
  const std::optional<bool> value = std::get<0>(r);
  co_return value&&* value;
}

LookupFailure Node::no_reply(const std::string& node, const AskResult<v1::LookupReply>& reply) {
  if (reply) {
    switch (reply->status()) {
      case v1::LookupReply::NOT_FOUND:
        return {LookupError::kNotFound, reply->detail()};
      case v1::LookupReply::WRONG_TYPE:
        return {LookupError::kWrongType, reply->detail()};
      default:
        return {LookupError::kBadReply, "node " + node + " answered a lookup with status " +
                                            std::to_string(reply->status())};
    }
  }
  if (reply.error() == AskError::kTimeout) {
    return {LookupError::kTimeout, "node " + node + " did not answer the lookup in time"};
  }
  // The failure's own sentence, without the "troupe: " of its exception.
  std::string why = to_string(reply.error());
  if (reply.cause()) {
    try {
      std::rethrow_exception(reply.cause());
    } catch (const std::exception& e) {
      why = e.what();
      if (why.starts_with("troupe: ")) why.erase(0, 8);
    } catch (...) {
    }
  }
  switch (reply.error()) {
    case AskError::kUnreachable:  // not connected, or the connection was lost
    case AskError::kDeadActor:    // it restarted: the lookup went to its earlier run
      return {LookupError::kUnreachable, why};
    default:
      return {LookupError::kBadReply, "node " + node + " answered a lookup with " + why};
  }
}

void Node::shutdown() {
  std::vector<std::unique_ptr<detail::Dialer>> dialers;
  {
    std::lock_guard lock(dialers_mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    dialers.swap(dialers_);
    for (auto& d : stopped_dialers_) dialers.push_back(std::move(d));
    stopped_dialers_.clear();
  }
  for (auto& d : dialers) d->stop();
  if (core_->options().network && !address_.empty()) core_->options().network->unlisten(*core_);
  if (acceptor_) {
    // No connection is accepted after this.
    acceptor_->cancel();
    try {
      acceptor_->wait();
    } catch (...) {  // TaskCancelled: as asked
    }
    acceptor_.reset();
  }
  core_->close_streams();
  for (auto& d : dialers) d->join();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
  }
  core_->stop_agent();
  for (auto& p : core_->all_peers()) p->drain_outbox();
}

std::vector<PeerStats> Node::peer_stats() const {
  std::vector<PeerStats> stats;
  for (const auto& p : core_->all_peers()) {
    stats.push_back({p->name(), p->is_up(), p->sent(), p->received(), p->outbox_depth()});
  }
  return stats;
}

}  // namespace troupe::remote
