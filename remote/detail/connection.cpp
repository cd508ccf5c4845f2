#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include <troupe/remote/detail/connection.hpp>
#include <troupe/remote/detail/handshake.hpp>
#include <troupe/remote/detail/node_core.hpp>
#include <troupe/remote/detail/peer.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>

namespace troupe::remote::detail {

Connection::Connection(std::shared_ptr<NodeCore> node, Role role, std::string dialed)
    : node_(std::move(node)), role_(role), dialed_(std::move(dialed)) {
  auto [rtx, rrx] = channel::mpsc::unbounded<bool>();
  reads_tx_ = std::move(rtx);
  reads_rx_ = std::move(rrx);
  auto [wtx, wrx] = channel::mpsc::unbounded<bool>();
  writes_tx_ = std::move(wtx);
  writes_rx_ = std::move(wrx);
  auto [dtx, drx] = channel::mpsc::unbounded<grpc::Status>();
  done_tx_ = std::move(dtx);
  done_rx_ = std::move(drx);
  auto [stx, srx] = channel::mpsc::unbounded<bool>();
  stop_tx_ = std::move(stx);
  stop_rx_ = std::move(srx);
  auto [ptx, prx] = channel::mpsc::unbounded<bool>();
  ping_tx_ = std::move(ptx);
  ping_rx_ = std::move(prx);
  auto [ltx, lrx] = channel::mpsc::unbounded<bool>();
  lost_tx_ = std::move(ltx);
  lost_rx_ = std::move(lrx);
}

Connection::~Connection() = default;

void Connection::on_done(const grpc::Status& status) {
  (void)done_tx_.try_send(status);
  node_->stream_closed();
}

void Connection::cancel(const std::string& why) {
  std::lock_guard lock(mutex_);
  lost_tx_.close();
  if (finished_) return;
  if (cancel_reason_.empty()) cancel_reason_ = why;
  stream_->cancel();
}

void Connection::finish(const grpc::Status& status) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  stream_->finish(status);
}

Task<Connection::Outcome> Connection::run_on(std::shared_ptr<NodeCore> node,
                                             std::shared_ptr<Connection> connection,
                                             std::unique_ptr<Stream> stream) {
  connection->bind(*stream);
  if (!node->open_stream(connection)) connection->cancel("the node is shutting down");
  Outcome outcome = co_await connection->run();
  co_return outcome;
}

Connection::Outcome Connection::unreachable(NodeCore& node, Connection& connection,
                                            const std::string& address, const std::string& why) {
  node.peer(address)->release(connection, why);
  return Outcome{false, grpc::Status(grpc::StatusCode::UNAVAILABLE, why)};
}

Task<bool> Connection::Stream::read_frame(v1::Frame&) { co_return false; }
Task<bool> Connection::Stream::write_frame(const v1::Frame&) { co_return false; }

Task<bool> Connection::read() {
  Task<bool> read;
  if (stream_->direct()) {
    read = stream_->read_frame(in_);
  } else {
    stream_->start_read(&in_);
    read = outcome(reads_rx_);
  }
  const bool ok = co_await within_handshake(std::move(read));
  co_return ok;
}

Task<bool> Connection::write(const v1::Frame& frame) {
  Task<bool> write;
  if (stream_->direct()) {
    write = stream_->write_frame(frame);
  } else {
    stream_->start_write(&frame);
    write = outcome(writes_rx_);
  }
  const bool ok = co_await within_handshake(std::move(write));
  co_return ok;
}

// A callback stream's operation (gRPC): its outcome, from the channel its
// callback pushes into.
Task<bool> Connection::outcome(MpscReceiver<bool>& done) {
  const std::optional<bool> ok = co_await done.next();
  co_return ok.value_or(false);
}

// An operation of the stream; in the handshake a deadline applies: past
// it, the stream is cancelled.
Task<bool> Connection::within_handshake(Task<bool> operation) {
  if (!in_handshake_) {
    const bool ok = co_await std::move(operation);
    co_return ok;
  }
  auto r = co_await select(std::move(operation), sleep_until(handshake_deadline_));
  if (r.index() == 1) {
    cancel("the handshake timed out");
    co_return false;
  }
  co_return std::get<0>(r);
}

Task<Connection::Outcome> Connection::run() {
  auto self = shared_from_this();  // the reactor lets go at OnDone; the tasks need it until here
  // On the clock of the scheduler whose timer waits for it (virtual on a
  // TestExecutor), not the system's.
  handshake_deadline_ =
      node_->system().core().scheduler().now() + node_->options().handshake_timeout;
  bool up = false;
  if (role_ == Role::kDialer) {
    up = co_await handshake_as_dialer();
  } else {
    up = co_await accept();
  }
  in_handshake_ = false;
  if (up) stream_->handshake_done();
  Outcome outcome;
  outcome.was_up = up;
  if (up) {
    node_->log("connected to " + printable(peer_->name()) + " (" + stream_->peer_address() + ")");
    auto writer = spawn(write_loop());
    std::optional<JoinHandle<void>> pinger;
    if (stream_->direct()) pinger = spawn(keepalive());
    co_await read_loop();
    cancel("the connection was lost");  // fails the write in flight, if any
    stop_tx_.close();
    co_await writer;
    if (pinger) {
      pinger->cancel();
      try {
        co_await *pinger;
      } catch (const TaskCancelled&) {  // as asked
      }
    }
    std::string why;
    {
      std::lock_guard lock(mutex_);
      why = cancel_reason_;
    }
    node_->log("disconnected from " + printable(peer_->name()) + ": " + why);
    peer_->release(*this, "the connection to " + peer_->name() + " was lost (" + why + ")");
  } else if (peer_) {
    peer_->release(*this, "handshake failed");  // gives up its claim, if it held one
  }
  if (peer_) node_->forget_if_unused(std::move(peer_));
  finish(role_ == Role::kAcceptor ? refusal_ : grpc::Status::OK);
  auto status = co_await done_rx_.next();
  if (status) outcome.status = std::move(*status);
  co_return outcome;
}

Task<void> Connection::read_loop() {
  while (true) {
    // Bound first, never awaited in a condition (README, "Compilers").
    const bool got = co_await read();
    if (!got) co_return;
    if (in_.has_hello() || !in_.proof().empty() || in_.welcome() ||
        !open_->open(*in_.mutable_batch(), in_.mac())) {
      // Altered, injected, replayed or out of order: the counts no longer
      // agree, and nothing more from this stream can be trusted.
      node_->log("dropped the connection to " + printable(peer_->name()) +
                     ": a frame failed its integrity check",
                 LogLevel::kWarning);
      cancel("a frame failed its integrity check");
      co_return;
    }
    if (!batch_in_.ParseFromString(in_.batch())) {
      node_->log("dropped the connection to " + printable(peer_->name()) + ": an undecodable frame",
                 LogLevel::kWarning);
      cancel("an undecodable frame");
      co_return;
    }
    in_.Clear();
    peer_->count_received(static_cast<std::uint64_t>(batch_in_.envelopes_size()));
    for (auto& e : *batch_in_.mutable_envelopes()) node_->dispatch(peer_, e);
    batch_in_.Clear();
    // A peer whose requests pile up unanswered is read no further until
    // some are answered: flow control (HTTP/2's, or TCP's) then holds its
    // senders.
    if (!peer_->has_room_to_serve()) {
      const bool room = co_await wait_for_room();
      if (!room) co_return;
    }
  }
}

// No HTTP/2 keepalive on a direct stream: this side pings (an empty frame,
// written by the writer) after a quiet interval, and a peer not heard for
// the interval and the timeout is lost. One timer per connection, not one
// per read or write.
Task<void> Connection::keepalive() {
  const auto& o = node_->options();
  const Duration silence = o.keepalive_interval + o.keepalive_timeout;
  const Duration tick = std::max<Duration>(o.keepalive_interval / 4, std::chrono::milliseconds(1));
  for (;;) {
    co_await sleep_for(tick);
    const Instant now = node_->system().core().scheduler().now();
    if (now - stream_->last_heard() > silence) {
      cancel("the peer went silent");
      co_return;
    }
    if (now - stream_->last_said() >= o.keepalive_interval) (void)ping_tx_.try_send(true);
  }
}

// False if the connection was lost meanwhile.
Task<bool> Connection::wait_for_room() {
  if (!stream_->direct()) {
    const bool room = co_await peer_->room_to_serve(lost_rx_);
    co_return room;
  }
  auto r = co_await select(peer_->room_to_serve(lost_rx_), watch_peer());
  if (r.index() == 1) {
    cancel("the peer closed the connection");
    co_return false;
  }
  co_return std::get<0>(r);
}

// Returns once the peer of a paused direct stream has gone: the socket is
// not read meanwhile, so it is asked (rarely: a pause is the exception).
Task<void> Connection::watch_peer() {
  while (!stream_->peer_gone()) co_await sleep_for(std::chrono::milliseconds(100));
}

v1::Hello Connection::own_hello() const {
  v1::Hello h;
  h.set_protocol(kProtocolVersion);
  h.set_node(node_->name());
  h.set_incarnation(node_->incarnation());
  h.set_nonce(make_nonce());  // fresh for each handshake
  return h;
}

void Connection::log_refusal(const std::string& who, const std::string& why) {
  node_->log("refused " + who + " (" + stream_->peer_address() + "): " + why, LogLevel::kWarning);
}

std::string Connection::identity_mismatch(const std::string& node) const {
  if (!node_->options().tls) return {};
  const std::vector<std::string> names = stream_->peer_identities();
  // "host:port" names match a certificate for the host; the port is not
  // part of an identity a certificate can carry.
  std::string host = node;
  if (auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string listed;
  for (const auto& n : names) {
    if (n == node || n == host) return {};
    listed += (listed.empty() ? "" : ", ") + printable(n);
  }
  return "its certificate names " + (listed.empty() ? std::string("no one") : listed) + ", not " +
         printable(node);
}

// The dialer speaks first and proves first, but only in answer to the
// acceptor's hello: its proof covers both hellos, so it cannot be relayed
// into another handshake, and an acceptor with another secret sees a
// wrong proof and says so on its side too. The acceptor's proof comes
// with its welcome, once it has checked ours.
Task<bool> Connection::handshake_as_dialer() {
  peer_ = node_->peer(dialed_);  // claimed by the dial loop (begin_dial)
  const auto& options = node_->options();
  const v1::Hello mine = own_hello();
  out_.Clear();
  *out_.mutable_hello() = mine;
  if (const bool ok = co_await write(out_); !ok) co_return false;
  if (const bool ok = co_await read(); !ok) co_return false;  // a refusal: the status says why
  if (!in_.has_hello()) {
    log_refusal(dialed_, "it sent no hello");
    cancel("no hello");
    co_return false;
  }
  const v1::Hello their = in_.hello();
  if (auto why = malformed(their)) {
    log_refusal(dialed_, *why);
    cancel(*why);
    co_return false;
  }
  if (auto why = identity_mismatch(their.node()); !why.empty()) {
    log_refusal(dialed_, why);
    cancel("certificate does not match the node name");
    co_return false;
  }
  const HandshakeKeys keys =
      derive_keys(options.cluster_secret, Transcript{.dialer = mine, .acceptor = their});
  out_.Clear();
  out_.set_proof(keys.dialer_proof);
  if (const bool ok = co_await write(out_); !ok) co_return false;
  if (const bool ok = co_await read(); !ok) co_return false;
  if (!in_.welcome() || !proofs_match(keys.acceptor_proof, in_.proof())) {
    log_refusal("node " + printable(their.node()) + " at " + dialed_, "wrong cluster secret");
    cancel("wrong cluster secret");
    co_return false;
  }
  in_.Clear();
  if (their.node() != peer_->name()) {
    // Dialed by address, named otherwise: the claim moves to its name.
    peer_->release(*this, "renamed");
    peer_ = node_->peer(their.node());
    if (!peer_->begin_dial(*this)) {
      cancel("already connected");
      co_return false;
    }
  }
  peer_incarnation_ = their.incarnation();
  seal_.emplace(keys.dialer_to_acceptor);
  open_.emplace(keys.acceptor_to_dialer);
  if (!peer_->attach(*this, peer_incarnation_)) {
    cancel("already connected");  // an incoming stream from the same peer won
    co_return false;
  }
  co_return true;
}

// Counted against the node's limits on unproven streams for as long as the
// handshake lasts.
Task<bool> Connection::accept() {
  const std::string address = stream_->peer_address();
  if (!node_->begin_handshake(address)) {
    refusal_ = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "too many connections in handshake; retry later");
    co_return false;
  }
  const bool up = co_await handshake_as_acceptor();
  node_->end_handshake(address);
  co_return up;
}

// Nothing derived from the secret, no entry in the node's tables and no
// log line longer than a name's first bytes, until the dialer has proved
// it knows the secret.
Task<bool> Connection::handshake_as_acceptor() {
  const auto& options = node_->options();
  if (const bool ok = co_await read(); !ok) co_return false;
  if (!in_.has_hello()) {
    refusal_ = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "expected a hello");
    log_refusal("a connection", "no hello");
    co_return false;
  }
  const v1::Hello their = in_.hello();
  if (auto why = malformed(their)) {
    refusal_ = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            "refused: " + *why + " (this node speaks protocol " +
                                std::to_string(kProtocolVersion) + ")");
    log_refusal("a connection", *why);
    co_return false;
  }
  const v1::Hello mine = own_hello();
  out_.Clear();
  *out_.mutable_hello() = mine;
  if (const bool ok = co_await write(out_); !ok) co_return false;
  if (const bool ok = co_await read(); !ok) co_return false;
  const HandshakeKeys keys =
      derive_keys(options.cluster_secret, Transcript{.dialer = their, .acceptor = mine});
  if (in_.has_hello() || !proofs_match(keys.dialer_proof, in_.proof())) {
    log_refusal("node " + printable(their.node()), "wrong cluster secret");
    refusal_ = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "wrong cluster secret");
    co_return false;
  }
  in_.Clear();
  if (auto why = identity_mismatch(their.node()); !why.empty()) {
    log_refusal("node " + printable(their.node()), why);
    refusal_ = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                            "the certificate does not name " + printable(their.node()));
    co_return false;
  }
  // Only now that it proved the secret: a name from an unproven hello
  // must not get an entry in the node's table of peers.
  peer_ = node_->peer(their.node());
  switch (peer_->admit(*this, their.incarnation())) {
    case Peer::Admit::kGranted:
      break;
    case Peer::Admit::kDuplicate:
      refusal_ = grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "already connected");
      co_return false;
    case Peer::Admit::kRetry:
      refusal_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "busy with that peer; retry");
      co_return false;
  }
  peer_incarnation_ = their.incarnation();
  seal_.emplace(keys.acceptor_to_dialer);
  open_.emplace(keys.dialer_to_acceptor);
  if (!peer_->attach(*this, peer_incarnation_)) {
    refusal_ = grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "already connected");
    co_return false;
  }
  out_.Clear();
  out_.set_welcome(true);
  out_.set_proof(keys.acceptor_proof);
  co_return co_await write(out_);
}

Task<void> Connection::write_loop() {
  auto& outbox = peer_->outbox();
  const auto& options = node_->options();
  // Leave room for the frame's own encoding around the envelopes.
  const std::size_t budget = options.max_frame_bytes / 2;
  while (true) {
    std::optional<v1::Envelope> first;
    if (stream_->direct()) {
      auto next = co_await select(outbox.next(), stop_rx_.next(), ping_rx_.next());
      if (next.index() == 1) break;
      if (next.index() == 2) {
        out_.Clear();  // an empty frame: a keepalive ping
        if (const bool ok = co_await write(out_); !ok) {
          cancel("a write failed");
          break;
        }
        continue;
      }
      first = std::move(std::get<0>(next));
    } else {
      auto next = co_await select(outbox.next(), stop_rx_.next());
      if (next.index() == 1) break;
      first = std::move(std::get<0>(next));
    }
    if (!first) break;
    batch_out_.Clear();
    std::size_t bytes = 0;
    auto add = [&](v1::Envelope& e) {
      if (e.target().node() != 0 && e.target().node() != peer_incarnation_) {
        peer_->refuse(e, TellStatus::kDeadActor);  // bound to an earlier run of the peer
        return;
      }
      const std::size_t size = e.ByteSizeLong();
      if (size + 64 > options.max_frame_bytes) {
        peer_->refuse(e, TellStatus::kFull);  // could never cross: the peer would drop the stream
        return;
      }
      bytes += size;
      *batch_out_.add_envelopes() = std::move(e);
    };
    add(*first);
    while (static_cast<std::size_t>(batch_out_.envelopes_size()) < options.max_batch &&
           bytes < budget) {
      auto more = outbox.try_recv();
      if (!more) break;
      add(more.value());
    }
    if (batch_out_.envelopes_size() == 0) continue;
    out_.Clear();
    batch_out_.SerializeToString(out_.mutable_batch());
    out_.set_mac(seal_->seal(*out_.mutable_batch()));
    if (const bool ok = co_await write(out_); !ok) {
      for (const auto& e : batch_out_.envelopes()) peer_->refuse(e, TellStatus::kUnreachable);
      cancel("a write failed");
      break;
    }
    peer_->count_sent(static_cast<std::uint64_t>(batch_out_.envelopes_size()));
  }
}

}  // namespace troupe::remote::detail
