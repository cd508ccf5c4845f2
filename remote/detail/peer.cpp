#include <stdexcept>
#include <utility>

#include <troupe/remote/detail/connection.hpp>
#include <troupe/remote/detail/peer.hpp>
#include <troupe/remote/detail/wire.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/v1/cluster.pb.h>

namespace troupe::remote::detail {

namespace {
std::pair<MpscSender<v1::Envelope>, MpscReceiver<v1::Envelope>> make_outbox(std::size_t n) {
  auto [tx, rx] = channel::mpsc::bounded<v1::Envelope>(n);
  return {std::move(tx), std::move(rx)};
}
}  // namespace

Peer::Peer(NodeCore& node, std::string name) : node_(node), name_(std::move(name)) {
  auto [tx, rx] = make_outbox(node.options().outbox_capacity);
  outbox_tx_ = std::move(tx);
  outbox_rx_ = std::move(rx);
  auto [rtx, rrx] = channel::mpsc::unbounded<bool>();
  room_tx_ = std::move(rtx);
  room_rx_ = std::move(rrx);
}

// The node may be gone by now (a ref to a remote actor can outlive it): nothing here
// touches it. Node::shutdown has drained the outbox already.
Peer::~Peer() {
  for (auto& [id, ask] : asks_) ask->fail(AskError::kUnreachable, "node " + name_ + " is gone");
}

void Peer::Watcher::notify(ActorId actor, std::uint64_t node, const ExitReason& reason) const {
  if (how == Watch::kDown) {
    cell->post_remote_down(actor, node, reason);
  } else if (reason.is_abnormal() || reason.kind() == ExitReason::Kind::kNodeDown) {
    // A node lost is an abnormal end for a link, as Erlang's noconnection
    // is: the linked actor cannot go on believing the other is there.
    cell->post_remote_exit(actor, node, reason);
  }
}

std::uint64_t Peer::incarnation() const {
  std::shared_lock lock(mutex_);
  return incarnation_;
}

bool Peer::is_up() const {
  std::shared_lock lock(mutex_);
  return state_ == State::kUp;
}

std::optional<TellStatus> Peer::refusal(std::uint64_t incarnation) const {
  if (state_ != State::kUp) return TellStatus::kUnreachable;
  if (incarnation != 0 && incarnation != incarnation_) return TellStatus::kDeadActor;
  return std::nullopt;
}

TellStatus Peer::tell(v1::Envelope e, std::uint64_t incarnation) {
  std::shared_lock lock(mutex_);
  if (auto why = refusal(incarnation)) {
    lock.unlock();
    node_.dead_letter(e, *why);
    return *why;
  }
  auto sent = outbox_tx_.try_send(std::move(e));
  if (sent) return TellStatus::kQueued;
  lock.unlock();
  node_.dead_letter(sent.value(), TellStatus::kFull);
  return TellStatus::kFull;
}

/// A send that found the outbox full: waits for room as the channel's own
/// send does. The writer of a later connection drops the envelope as a
/// dead letter if its incarnation is stale by then.
class OutboxSend final : public troupe::detail::WireSend {
 public:
  OutboxSend(std::shared_ptr<Peer> peer, v1::Envelope e)
      : peer_(std::move(peer)), send_(peer_->outbox_tx_.send(std::move(e))) {}
  bool poll(Context& cx) noexcept override {
    if (!send_.poll(cx)) return false;
    auto sent = send_.await_resume();
    if (sent) return true;
    peer_->node_.dead_letter(sent.value(), TellStatus::kUnreachable);
    status_ = TellStatus::kUnreachable;
    return true;
  }
  TellStatus status() const noexcept override { return status_; }

 private:
  std::shared_ptr<Peer> peer_;
  SendFuture<v1::Envelope, troupe::detail::MpscCore<v1::Envelope>> send_;
  TellStatus status_ = TellStatus::kQueued;
};

/// An ask whose envelope found the outbox full: the AskFuture sends it
/// when polled, waiting for room like `send` does. Dropped unsent (the
/// asker gave up), it takes its pending entry back.
class OutboxSubmit final : public troupe::detail::AskSubmit {
 public:
  OutboxSubmit(std::shared_ptr<Peer> peer, std::uint64_t id, v1::Envelope e)
      : peer_(std::move(peer)), id_(id), send_(peer_->outbox_tx_.send(std::move(e))) {}
  ~OutboxSubmit() override {
    if (!done_) (void)peer_->take_ask(id_);
  }

  bool poll(Context& cx) noexcept override {
    if (!send_.poll(cx)) return false;
    done_ = true;
    auto sent = send_.await_resume();
    if (!sent) peer_->refuse(sent.value(), TellStatus::kUnreachable);
    return true;
  }

 private:
  std::shared_ptr<Peer> peer_;
  std::uint64_t id_;
  SendFuture<v1::Envelope, troupe::detail::MpscCore<v1::Envelope>> send_;
  bool done_ = false;
};

std::unique_ptr<troupe::detail::WireSend> Peer::send(v1::Envelope e, std::uint64_t incarnation,
                                                     TellStatus* status) {
  std::shared_lock lock(mutex_);
  if (auto why = refusal(incarnation)) {
    lock.unlock();
    node_.dead_letter(e, *why);
    *status = *why;
    return nullptr;
  }
  auto sent = outbox_tx_.try_send(std::move(e));
  *status = TellStatus::kQueued;
  if (sent) return nullptr;
  lock.unlock();
  return std::make_unique<OutboxSend>(shared_from_this(), std::move(sent).value());
}

std::unique_ptr<troupe::detail::AskSubmit> Peer::ask(v1::Envelope e, std::uint64_t incarnation,
                                                     std::optional<Duration> timeout,
                                                     std::unique_ptr<PendingAsk> pending) {
  const std::uint64_t id = node_.next_correlation_id();
  e.set_correlation_id(id);
  if (timeout) e.set_deadline_unix_nanos(node_.deadline_after(*timeout));
  std::shared_lock lock(mutex_);
  if (auto why = refusal(incarnation)) {
    lock.unlock();
    node_.dead_letter(e, *why);
    pending->fail(
        *why == TellStatus::kDeadActor ? AskError::kDeadActor : AskError::kUnreachable,
        "node " + name_ + (*why == TellStatus::kDeadActor ? " restarted" : " is not connected"));
    return nullptr;
  }
  register_ask(id, std::move(pending));
  auto sent = outbox_tx_.try_send(std::move(e));
  if (sent) return nullptr;
  lock.unlock();
  // Full: the future sends it when polled, waiting for room.
  return std::make_unique<OutboxSubmit>(shared_from_this(), id, std::move(sent).value());
}

Task<bool> Peer::post(v1::Envelope e) {
  {
    std::shared_lock lock(mutex_);
    if (state_ != State::kUp) co_return false;
    e.mutable_target()->set_node(incarnation_);
    auto sent = outbox_tx_.try_send(std::move(e));
    if (sent) co_return true;
    e = std::move(sent).value();
  }
  // Full: wait for room, but not past this connection: a peer that stops
  // reading must not keep our answers (and their tasks) for good. Its
  // later connection would drop them as stale anyway.
  auto gone = when(Wait::kFree);
  auto queue = [](MpscSender<v1::Envelope>& outbox, v1::Envelope e) -> Task<bool> {
    co_return static_cast<bool>(co_await outbox.send(std::move(e)));
  };
  auto r = co_await select(queue(outbox_tx_, std::move(e)), gone.next());
  co_return r.index() == 0 && std::get<0>(r);
}

Peer::Service::Service(std::shared_ptr<Peer> peer) noexcept : peer_(std::move(peer)) {
  peer_->serving_.fetch_add(1);
}

Peer::Service::~Service() {
  if (!peer_) return;  // moved from
  const std::size_t before = peer_->serving_.fetch_sub(1);
  if (before <= peer_->node_.options().max_served_per_peer && peer_->reader_waits_.load() &&
      peer_->reader_waits_.exchange(false))
    (void)peer_->room_tx_.try_send(true);
  // The last request of a peer that is gone: nothing may hold it now.
  if (before == 1 && !peer_->is_up()) peer_->node_.forget_if_unused(std::move(peer_));
}

Task<bool> Peer::room_to_serve(MpscReceiver<bool>& lost) {
  const std::size_t cap = node_.options().max_served_per_peer;
  while (serving_.load() >= cap) {
    reader_waits_.store(true);
    if (serving_.load() < cap) {  // one ended between our two reads
      reader_waits_.store(false);
      break;
    }
    auto r = co_await select(room_rx_.next(), lost.next());
    if (r.index() == 1) co_return false;
  }
  while (room_rx_.try_recv()) {
  }  // a wake we did not wait for
  co_return true;
}

void Peer::register_ask(std::uint64_t id, std::unique_ptr<PendingAsk> ask) {
  std::lock_guard lock(tables_mutex_);
  asks_.emplace(id, std::move(ask));
}

std::unique_ptr<PendingAsk> Peer::take_ask(std::uint64_t id) {
  std::lock_guard lock(tables_mutex_);
  auto it = asks_.find(id);
  if (it == asks_.end()) return nullptr;
  auto ask = std::move(it->second);
  asks_.erase(it);
  return ask;
}

void Peer::complete(const v1::Envelope& e) {
  // No entry: the ask was failed already (its connection was lost and this
  // reply came on a later one), so the reply has no one to go to.
  if (auto ask = take_ask(e.correlation_id())) ask->complete(e, node_.options().decode);
}

void Peer::monitor(ActorId actor, std::uint64_t incarnation, troupe::detail::ActorCellBase& watcher,
                   Watch how) {
  bool first = false;
  {
    std::shared_lock lock(mutex_);
    if (auto why = refusal(incarnation)) {
      lock.unlock();
      const char* what = *why == TellStatus::kDeadActor ? " restarted" : " is not connected";
      Watcher{troupe::detail::CellPtr(watcher), how}.notify(
          actor, incarnation,
          ExitReason::node_down(
              std::make_exception_ptr(std::runtime_error("node " + name_ + what))));
      return;
    }
    std::lock_guard tables(tables_mutex_);
    auto& cells = watchers_[actor];
    first = cells.empty();
    cells.push_back(Watcher{troupe::detail::CellPtr(watcher), how});
  }
  if (!first) return;
  v1::Monitor m;
  m.set_actor(actor);
  v1::Envelope e = proto::encode(m);
  e.mutable_target()->set_node(incarnation);
  if (tell(std::move(e), incarnation) != TellStatus::kQueued) {
    remote_down(actor, ExitReason::node_down(std::make_exception_ptr(
                           std::runtime_error("could not ask node " + name_ + " to monitor"))));
  }
}

void Peer::remote_down(ActorId actor, const ExitReason& reason) {
  std::vector<Watcher> watchers;
  {
    std::lock_guard lock(tables_mutex_);
    auto it = watchers_.find(actor);
    if (it == watchers_.end()) return;
    watchers.swap(it->second);
    watchers_.erase(it);
  }
  const std::uint64_t node = incarnation();
  for (const auto& w : watchers) w.notify(actor, node, reason);
}

void Peer::refuse(const v1::Envelope& e, TellStatus why) {
  node_.dead_letter(e, why);
  if (e.kind() == v1::Envelope::ASK) {
    if (auto ask = take_ask(e.correlation_id()))
      ask->fail(AskError::kUnreachable, "the connection to " + name_ + " was lost");
  }
}

void Peer::drain_outbox() {
  while (true) {
    auto r = outbox_rx_.try_recv();
    if (!r) break;
    refuse(r.value(), TellStatus::kUnreachable);
  }
}

// --- Connections -------------------------------------------------------------------

std::uint64_t Peer::local_incarnation() const noexcept { return node_.incarnation(); }

MpscReceiver<bool> Peer::when(Wait what) {
  auto [tx, rx] = channel::mpsc::unbounded<bool>();
  std::unique_lock lock(mutex_);
  if (closed_) {
    (void)tx.try_send(false);
  } else if ((what == Wait::kUp && state_ == State::kUp) ||
             (what == Wait::kFree && state_ == State::kNone)) {
    (void)tx.try_send(true);
  } else {
    waiters_.emplace_back(what, std::move(tx));
  }
  return std::move(rx);
}

void Peer::notify(Wait what) {
  std::erase_if(waiters_, [what](auto& w) {
    if (w.first != what) return false;
    (void)w.second.try_send(true);
    return true;
  });
}

void Peer::close() {
  std::unique_lock lock(mutex_);
  closed_ = true;
  for (auto& w : waiters_) (void)w.second.try_send(false);
  waiters_.clear();
}

void Peer::drop(const std::string& why) {
  // Shared: the holder stays while the lock is held (release takes it
  // exclusively); the connection's end releases the peer as a loss.
  std::shared_lock lock(mutex_);
  if (holder_) holder_->cancel(why);
}

bool Peer::begin_dial(Connection& c) {
  std::unique_lock lock(mutex_);
  if (state_ != State::kNone || closed_) return false;
  state_ = State::kDialing;
  holder_ = &c;
  return true;
}

// Two nodes may dial each other at once. Each settles it the same way: the
// dial of the node with the smaller name wins. An incoming hello that
// finds our own dial to that peer in progress is refused if our name is
// the smaller (the peer refuses our dial by the same rule otherwise), and
// takes the peer over if it is the larger (our dial is then refused by
// the peer, and finds it has lost the peer when it is answered).
Peer::Admit Peer::admit(Connection& c, std::uint64_t incarnation) {
  std::unique_lock lock(mutex_);
  switch (state_) {
    case State::kUp:
      // The same incarnation is connected already; another one means the
      // peer restarted and the old stream has not noticed yet: the dialer
      // retries once it is gone.
      return incarnation == incarnation_ ? Admit::kDuplicate : Admit::kRetry;
    case State::kAccepting:
      return Admit::kRetry;
    case State::kDialing:
      if (node_.name() < name_) return Admit::kDuplicate;
      break;
    case State::kNone:
      break;
  }
  state_ = State::kAccepting;
  holder_ = &c;
  return Admit::kGranted;
}

bool Peer::attach(Connection& c, std::uint64_t incarnation) {
  std::unique_lock lock(mutex_);
  if (holder_ != &c) return false;
  state_ = State::kUp;
  incarnation_ = incarnation;
  origin_.set_node(name_);
  origin_.set_incarnation(incarnation);
  notify(Wait::kUp);
  return true;
}

void Peer::release(Connection& c, const std::string& why) {
  std::unordered_map<std::uint64_t, std::unique_ptr<PendingAsk>> asks;
  std::unordered_map<ActorId, std::vector<Watcher>> watchers;
  std::uint64_t incarnation;
  {
    std::unique_lock lock(mutex_);
    if (holder_ != &c) return;
    const bool was_up = state_ == State::kUp;
    state_ = State::kNone;
    holder_ = nullptr;
    notify(Wait::kFree);
    if (!was_up) return;
    incarnation = incarnation_;
    // Under the exclusive lock: no sender is between its check and its push.
    drain_outbox();
    std::lock_guard tables(tables_mutex_);
    asks.swap(asks_);
    watchers.swap(watchers_);
  }
  node_.unwatch(*this);
  for (auto& [id, ask] : asks) ask->fail(AskError::kUnreachable, why);
  const ExitReason reason = ExitReason::node_down(std::make_exception_ptr(std::runtime_error(why)));
  for (const auto& [actor, list] : watchers) {
    for (const auto& w : list) w.notify(actor, incarnation, reason);
  }
}

}  // namespace troupe::remote::detail
