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

namespace {
constexpr const char* kDialer = "dialer";
constexpr const char* kAcceptor = "acceptor";
}  // namespace

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
}

Connection::~Connection() = default;

void Connection::on_done(const grpc::Status& status) {
  (void)done_tx_.try_send(status);
  node_->stream_closed();
}

void Connection::cancel(const std::string& why) {
  std::lock_guard lock(mutex_);
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

Task<bool> Connection::read() {
  stream_->start_read(&in_);
  const bool ok = co_await outcome(reads_rx_);
  co_return ok;
}

Task<bool> Connection::write(const v1::Frame& frame) {
  stream_->start_write(&frame);
  const bool ok = co_await outcome(writes_rx_);
  co_return ok;
}

// One operation's outcome, from the channel its callback pushes into. In
// the handshake a deadline applies: past it, the stream is cancelled.
Task<bool> Connection::outcome(MpscReceiver<bool>& done) {
  if (!in_handshake_) {
    const std::optional<bool> ok = co_await done.next();
    co_return ok.value_or(false);
  }
  auto r = co_await select(done.next(), sleep_until(handshake_deadline_));
  if (r.index() == 1) {
    cancel("the handshake timed out");
    co_return false;
  }
  const std::optional<bool> ok = std::get<0>(r);
  co_return ok.value_or(false);
}

Task<Connection::Outcome> Connection::run() {
  auto self = shared_from_this();  // the reactor lets go at OnDone; the tasks need it until here
  // On the clock of the scheduler whose timer waits for it (virtual on a
  // TestExecutor), not the system's.
  handshake_deadline_ =
      node_->system().core().scheduler().now() + node_->options().handshake_timeout;
  const bool up =
      role_ == Role::kDialer ? co_await handshake_as_dialer() : co_await handshake_as_acceptor();
  in_handshake_ = false;
  Outcome outcome;
  outcome.was_up = up;
  if (up) {
    node_->log("connected to " + peer_->name() + " (" + stream_->peer_address() + ")");
    auto writer = spawn(write_loop());
    while (true) {
      const bool got = co_await read();
      if (!got) break;
      for (auto& e : *in_.mutable_envelopes()) node_->dispatch(peer_, e);
      in_.Clear();
    }
    cancel("the connection was lost");  // fails the write in flight, if any
    stop_tx_.close();
    co_await writer;
    std::string why;
    {
      std::lock_guard lock(mutex_);
      why = cancel_reason_;
    }
    node_->log("disconnected from " + peer_->name() + ": " + why);
    peer_->release(*this, "the connection to " + peer_->name() + " was lost (" + why + ")");
  } else if (peer_) {
    peer_->release(*this, "handshake failed");  // gives up its claim, if it held one
  }
  finish(role_ == Role::kAcceptor ? refusal_ : grpc::Status::OK);
  auto status = co_await done_rx_.next();
  if (status) outcome.status = std::move(*status);
  co_return outcome;
}

Task<bool> Connection::handshake_as_dialer() {
  peer_ = node_->peer(dialed_);  // claimed by the dial loop (begin_dial)
  const auto& options = node_->options();
  const std::string nonce = make_nonce();
  out_.Clear();
  auto* hello = out_.mutable_hello();
  hello->set_protocol(kProtocolVersion);
  hello->set_node(node_->name());
  hello->set_incarnation(node_->incarnation());
  hello->set_nonce(nonce);
  if (!co_await write(out_)) co_return false;
  if (!co_await read()) co_return false;  // a refusal: the status says why
  if (!in_.has_hello() || in_.hello().protocol() != kProtocolVersion) {
    node_->log("refused " + dialed_ + ": it does not speak protocol " +
               std::to_string(kProtocolVersion));
    cancel("protocol mismatch");
    co_return false;
  }
  const v1::Hello their = in_.hello();
  // Our proof goes first, so that an acceptor with another secret sees a
  // wrong proof and says so on its side too.
  out_.Clear();
  out_.set_proof(make_proof(options.cluster_secret, kDialer, their.nonce(), node_->name(),
                            node_->incarnation()));
  if (!co_await write(out_)) co_return false;
  const std::string expected =
      make_proof(options.cluster_secret, kAcceptor, nonce, their.node(), their.incarnation());
  if (!proofs_match(expected, their.proof())) {
    node_->log("refused node " + their.node() + " at " + dialed_ + ": wrong cluster secret");
    cancel("wrong cluster secret");
    co_return false;
  }
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
  if (!co_await read()) co_return false;
  if (!in_.welcome()) {
    cancel("not welcomed");
    co_return false;
  }
  in_.Clear();
  if (!peer_->attach(*this, peer_incarnation_)) {
    cancel("already connected");  // an incoming stream from the same peer won
    co_return false;
  }
  co_return true;
}

Task<bool> Connection::handshake_as_acceptor() {
  const auto& options = node_->options();
  if (!co_await read()) co_return false;
  if (!in_.has_hello() || in_.hello().protocol() != kProtocolVersion) {
    refusal_ = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            "expected a hello of protocol " + std::to_string(kProtocolVersion));
    node_->log("refused a connection from " + stream_->peer_address() +
               ": no hello of our protocol");
    co_return false;
  }
  const v1::Hello their = in_.hello();
  const std::string nonce = make_nonce();
  out_.Clear();
  auto* hello = out_.mutable_hello();
  hello->set_protocol(kProtocolVersion);
  hello->set_node(node_->name());
  hello->set_incarnation(node_->incarnation());
  hello->set_nonce(nonce);
  hello->set_proof(make_proof(options.cluster_secret, kAcceptor, their.nonce(), node_->name(),
                              node_->incarnation()));
  if (!co_await write(out_)) co_return false;
  if (!co_await read()) co_return false;
  const std::string expected =
      make_proof(options.cluster_secret, kDialer, nonce, their.node(), their.incarnation());
  if (!proofs_match(expected, in_.proof())) {
    node_->log("refused node " + their.node() + " from " + stream_->peer_address() +
               ": wrong cluster secret");
    refusal_ = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "wrong cluster secret");
    co_return false;
  }
  in_.Clear();
  // Only now that it proved the secret: a name from an unproven hello
  // must not get an entry in the node's table of peers (kept for good).
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
  if (!peer_->attach(*this, peer_incarnation_)) {
    refusal_ = grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "already connected");
    co_return false;
  }
  out_.Clear();
  out_.set_welcome(true);
  co_return co_await write(out_);
}

Task<void> Connection::write_loop() {
  auto& outbox = peer_->outbox();
  const auto& options = node_->options();
  // Leave room for the frame's own encoding around the envelopes.
  const std::size_t budget = options.max_frame_bytes / 2;
  while (true) {
    auto next = co_await select(outbox.next(), stop_rx_.next());
    if (next.index() == 1) break;
    std::optional<v1::Envelope> first = std::move(std::get<0>(next));
    if (!first) break;
    out_.Clear();
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
      *out_.add_envelopes() = std::move(e);
    };
    add(*first);
    while (static_cast<std::size_t>(out_.envelopes_size()) < options.max_batch && bytes < budget) {
      auto more = outbox.try_recv();
      if (!more) break;
      add(more.value());
    }
    if (out_.envelopes_size() == 0) continue;
    if (!co_await write(out_)) {
      for (const auto& e : out_.envelopes()) peer_->refuse(e, TellStatus::kUnreachable);
      cancel("a write failed");
      break;
    }
  }
}

}  // namespace troupe::remote::detail
