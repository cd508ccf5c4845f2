#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <utility>

#include <troupe/actor/detail/system_core.hpp>
#include <troupe/actor/trace_scope.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/remote/detail/connection.hpp>
#include <troupe/remote/detail/node_agent.hpp>
#include <troupe/remote/detail/node_core.hpp>
#include <troupe/remote/detail/peer.hpp>
#include <troupe/remote/detail/wire.hpp>
#include <troupe/remote/network.hpp>
#include <troupe/runtime/detail/driven_scheduler.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/v1/cluster.pb.h>

namespace troupe::remote::detail {

namespace {

std::uint64_t random_incarnation(const NodeOptions& o) {
  if (o.network) return o.network->incarnation();
  std::random_device rd;
  std::uint64_t v = 0;
  while (v == 0) v = (std::uint64_t{rd()} << 32) ^ rd();
  return v;
}

v1::Envelope failure(AskError code, const std::string& detail) {
  v1::AskFailure f;
  f.set_code(wire_code_of(code));
  f.set_detail(detail);
  return proto::encode(f, v1::Envelope::FAILURE);
}

// The reply to `ask` (same correlation id), addressed to its sender.
v1::Envelope reply_to(const v1::Envelope& ask, v1::Envelope reply) {
  reply.set_correlation_id(ask.correlation_id());
  reply.mutable_target()->set_node(ask.sender().node());
  return reply;
}

Task<void> post_answer(Peer::Service service, v1::Envelope reply) {
  co_await service.peer().post(std::move(reply));
}

// Waits for a published actor's reply to a remote ask and sends it back.
Task<void> relay_reply(Peer::Service service, v1::Envelope ask, AskFuture<v1::Envelope> future) {
  AskResult<v1::Envelope> r = co_await std::move(future);
  v1::Envelope reply;
  if (r) {
    reply = std::move(r.value());
    reply.set_kind(v1::Envelope::REPLY);
  } else {
    std::string detail = to_string(r.error());
    if (r.cause()) {
      try {
        std::rethrow_exception(r.cause());
      } catch (const std::exception& e) {
        detail = e.what();
      } catch (...) {
      }
    }
    reply = failure(r.error(), detail);
  }
  co_await service.peer().post(reply_to(ask, std::move(reply)));
}

// The host of "host:port", "[v6]:port" or a bare address: what a
// handshake limit per source counts ("ipv4:10.0.0.7:5133" as gRPC says).
std::string host_of(std::string address) {
  if (auto scheme = address.find(':');
      scheme != std::string::npos && (address.starts_with("ipv4:") || address.starts_with("ipv6:")))
    address.erase(0, scheme + 1);
  if (auto colon = address.rfind(':'); colon != std::string::npos) address.resize(colon);
  return address;
}

}  // namespace

NodeCore::NodeCore(ActorSystem& system, NodeOptions options)
    : system_(system),
      options_(std::move(options)),
      name_(options_.name),
      incarnation_(random_incarnation(options_)) {}

NodeCore::~NodeCore() = default;

// --- Peers ---------------------------------------------------------------------------

std::shared_ptr<Peer> NodeCore::peer(const std::string& name) {
  std::lock_guard lock(peers_mutex_);
  auto& p = peers_[name];
  if (!p) p = std::make_shared<Peer>(*this, name);
  return p;
}

std::shared_ptr<Peer> NodeCore::find_peer(const std::string& name) const {
  std::lock_guard lock(peers_mutex_);
  auto it = peers_.find(name);
  return it == peers_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Peer>> NodeCore::all_peers() const {
  std::lock_guard lock(peers_mutex_);
  std::vector<std::shared_ptr<Peer>> all;
  for (const auto& [name, p] : peers_) all.push_back(p);
  return all;
}

void NodeCore::forget_if_unused(std::shared_ptr<Peer> peer) {
  const std::string name = peer->name();
  std::lock_guard lock(peers_mutex_);
  peer.reset();
  // Under the lock nobody can take a new hold from the table: a count of
  // one is the table's alone.
  auto it = peers_.find(name);
  if (it != peers_.end() && it->second.use_count() == 1) peers_.erase(it);
}

bool NodeCore::begin_handshake(const std::string& address) {
  const std::string host = host_of(address);
  std::lock_guard lock(handshakes_mutex_);
  auto& from_host = handshakes_by_address_[host];
  if (handshakes_ >= options_.max_handshakes || from_host >= options_.max_handshakes_per_address) {
    if (from_host == 0) handshakes_by_address_.erase(host);
    return false;
  }
  ++handshakes_;
  ++from_host;
  return true;
}

void NodeCore::end_handshake(const std::string& address) {
  const std::string host = host_of(address);
  std::lock_guard lock(handshakes_mutex_);
  --handshakes_;
  if (--handshakes_by_address_[host] == 0) handshakes_by_address_.erase(host);
}

std::vector<std::string> NodeCore::connected_peers() const {
  std::vector<std::string> names;
  for (const auto& p : all_peers())
    if (p->is_up()) names.push_back(p->name());
  return names;
}

// --- Published actors -------------------------------------------------------------------

void NodeCore::add_export(ActorId id, proto::AnyRef ref) {
  std::unique_lock lock(exports_mutex_);
  exports_[id].ref = std::move(ref);
}

std::vector<std::weak_ptr<Peer>> NodeCore::remove_export(ActorId id) {
  Export gone;  // released outside the lock
  {
    std::unique_lock lock(exports_mutex_);
    auto it = exports_.find(id);
    if (it == exports_.end()) return {};
    gone = std::move(it->second);
    exports_.erase(it);
  }
  return std::move(gone.watchers);
}

proto::AnyRef NodeCore::find_export(ActorId id) const {
  std::shared_lock lock(exports_mutex_);
  auto it = exports_.find(id);
  return it == exports_.end() ? proto::AnyRef() : it->second.ref;
}

bool NodeCore::watch(ActorId id, const std::shared_ptr<Peer>& peer) {
  std::unique_lock lock(exports_mutex_);
  auto it = exports_.find(id);
  if (it == exports_.end()) return false;
  auto& watchers = it->second.watchers;
  const bool known = std::any_of(watchers.begin(), watchers.end(),
                                 [&](const auto& w) { return w.lock() == peer; });
  if (!known) watchers.push_back(peer);
  return true;
}

void NodeCore::unwatch(const Peer& peer) {
  std::unique_lock lock(exports_mutex_);
  for (auto& [id, e] : exports_) {
    std::erase_if(e.watchers, [&](const auto& w) {
      auto p = w.lock();
      return !p || p.get() == &peer;
    });
  }
}

void NodeCore::start_agent() { agent_ = system_.spawn<NodeAgent>(weak_from_this()); }

void NodeCore::stop_agent() {
  if (agent_) agent_.stop();
  std::unique_lock lock(exports_mutex_);
  exports_.clear();
}

troupe::detail::ActorCellBase* NodeCore::agent_cell() const noexcept { return agent_.cell(); }

void NodeCore::log(const std::string& line, LogLevel level) const {
  if (options_.log) {
    options_.log(line);
  } else {
    troupe::log(level, "remote " + name_, line);
  }
}

void NodeCore::run_detached(Task<void> task) {
  troupe::detail::spawn_on(system_.core().scheduler(), std::move(task)).detach();
}

void NodeCore::answer(const std::shared_ptr<Peer>& from, v1::Envelope reply) {
  run_detached(post_answer(from->serve(), std::move(reply)));
}

// --- Traffic ---------------------------------------------------------------------------

std::int64_t NodeCore::unix_nanos() const {
  if (options_.network) return options_.network->unix_nanos();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void NodeCore::dead_letter(const v1::Envelope& e, TellStatus why) noexcept {
  DeadLetterReason reason = DeadLetterReason::kUnreachable;
  if (why == TellStatus::kFull) reason = DeadLetterReason::kMailboxFull;
  if (why == TellStatus::kDeadActor) reason = DeadLetterReason::kStopped;
  system_.core().dead_letter(DeadLetter{e.target().actor(), e.type_name(), reason});
}

void NodeCore::dispatch(const std::shared_ptr<Peer>& from, v1::Envelope& e) {
  switch (e.kind()) {
    case v1::Envelope::REPLY:
    case v1::Envelope::FAILURE:
      from->complete(e);
      return;
    case v1::Envelope::TELL:
    case v1::Envelope::ASK:
      break;
    default:
      system_.core().dead_letter(
          DeadLetter{e.target().actor(), e.type_name(), DeadLetterReason::kUndecodable});
      return;
  }
  const bool ask = e.kind() == v1::Envelope::ASK;
  if (e.target().node() != 0 && e.target().node() != incarnation_) {
    // Sent to an earlier run of this node: its actors are gone.
    system_.core().dead_letter(
        DeadLetter{e.target().actor(), e.type_name(), DeadLetterReason::kStopped});
    if (ask) {
      answer(from, reply_to(e, failure(AskError::kDeadActor,
                                       "sent to an earlier incarnation of " + name_)));
    }
    return;
  }
  if (e.target().actor() == 0) return control(from, e);
  // The sender's trace, if any, goes into the envelope made for the actor.
  const TraceScope trace(trace_from_wire(e));
  if (ask) return serve_ask(from, e);
  proto::AnyRef target = find_export(e.target().actor());
  if (!target) {
    system_.core().dead_letter(
        DeadLetter{e.target().actor(), e.type_name(), DeadLetterReason::kStopped});
    return;
  }
  (void)target.tell(e, &from->origin());  // a refusal is a dead letter there
}

void NodeCore::serve_ask(const std::shared_ptr<Peer>& from, v1::Envelope& e) {
  // Every ask served has a deadline: one that came without gets the
  // node's, so that no peer can make it wait (and hold memory) for good.
  Duration timeout = options_.served_ask_timeout;
  if (e.deadline_unix_nanos() != 0) {
    const std::int64_t now = unix_nanos();
    if (e.deadline_unix_nanos() <= now) {
      answer(from, reply_to(e, failure(AskError::kTimeout, "the deadline passed in transit")));
      return;
    }
    timeout = std::min<Duration>(timeout, std::chrono::nanoseconds(e.deadline_unix_nanos() - now));
  }
  proto::AnyRef target = find_export(e.target().actor());
  if (!target) {
    system_.core().dead_letter(
        DeadLetter{e.target().actor(), e.type_name(), DeadLetterReason::kStopped});
    answer(from, reply_to(e, failure(AskError::kDeadActor, "no such actor on " + name_)));
    return;
  }
  target.set_limits(options_.decode);
  auto future = target.ask(e, timeout, &from->origin());
  run_detached(relay_reply(from->serve(), std::move(e), std::move(future)));
}

void NodeCore::control(const std::shared_ptr<Peer>& from, v1::Envelope& e) {
  if (e.type_name() == proto::type_name<v1::Lookup>() && e.kind() == v1::Envelope::ASK) {
    auto lookup = proto::decode<v1::Lookup>(e, options_.decode);
    if (!lookup) {
      answer(from, reply_to(e, failure(AskError::kBadMessage, lookup.detail())));
      return;
    }
    v1::LookupReply reply;
    reply.set_status(v1::LookupReply::NOT_FOUND);
    reply.set_detail("nothing is published as \"" + lookup->name() + "\" on " + name_);
    if (auto cell = system_.core().lookup_any(lookup->name())) {
      const ActorId id = cell->id();
      if (proto::AnyRef target = find_export(id)) {
        reply.set_status(v1::LookupReply::FOUND);
        reply.set_actor(id);
        reply.clear_detail();
        for (const auto& type : lookup->message_types()) {
          if (!target.accepts(type)) {
            reply.set_status(v1::LookupReply::WRONG_TYPE);
            reply.set_detail("\"" + lookup->name() + "\" on " + name_ + " has no handler for " +
                             type);
            break;
          }
        }
      }
    }
    answer(from, reply_to(e, proto::encode(reply, v1::Envelope::REPLY)));
    return;
  }
  if (e.type_name() == proto::type_name<v1::Monitor>()) {
    auto m = proto::decode<v1::Monitor>(e, options_.decode);
    if (m && !watch(m->actor(), from)) {
      // Not published (any more): gone, as far as the peer can tell.
      answer(from, proto::encode(down_message(m->actor(), ExitReason::stopped())));
    }
    return;
  }
  if (e.type_name() == proto::type_name<v1::Stop>()) {
    // Only what is published can be stopped, as only it can be reached.
    auto s = proto::decode<v1::Stop>(e, options_.decode);
    if (!s) return;
    if (proto::AnyRef target = find_export(s->actor())) target.stop();
    return;
  }
  if (e.type_name() == proto::type_name<v1::Down>()) {
    auto d = proto::decode<v1::Down>(e, options_.decode);
    if (d) from->remote_down(d->actor().actor(), from_wire(d->reason()));
    return;
  }
  system_.core().dead_letter(DeadLetter{0, e.type_name(), DeadLetterReason::kUndecodable});
  if (e.kind() == v1::Envelope::ASK) {
    answer(from, reply_to(e, failure(AskError::kBadMessage,
                                     "no node request \"" + e.type_name() + "\"")));
  }
}

// --- The node's agent ------------------------------------------------------------------

v1::Down NodeCore::down_message(ActorId actor, const ExitReason& reason) const {
  v1::Down down;
  down.mutable_actor()->set_node(incarnation_);
  down.mutable_actor()->set_actor(actor);
  *down.mutable_reason() = to_wire(reason);
  return down;
}

void NodeAgent::handle(const Down& d) {
  auto node = node_.lock();
  if (!node) return;
  const v1::Envelope down = proto::encode(node->down_message(d.actor, d.reason));
  for (auto& weak : node->remove_export(d.actor)) {
    if (auto peer = weak.lock()) node->answer(peer, down);
  }
}

// --- gRPC streams ----------------------------------------------------------------------

bool NodeCore::open_stream(const std::shared_ptr<Connection>& c) {
  std::lock_guard lock(streams_mutex_);
  ++streams_;
  std::erase_if(connections_, [](const auto& w) { return w.expired(); });
  connections_.push_back(c);
  return !shutting_down_;
}

void NodeCore::stream_closed() {
  std::lock_guard lock(streams_mutex_);
  if (--streams_ == 0) streams_zero_.notify_all();
}

bool NodeCore::shutting_down() const {
  std::lock_guard lock(streams_mutex_);
  return shutting_down_;
}

void NodeCore::close_streams() {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(streams_mutex_);
    shutting_down_ = true;
    for (auto& w : connections_)
      if (auto c = w.lock()) live.push_back(std::move(c));
  }
  for (auto& p : all_peers()) p->close();
  for (auto& c : live) c->cancel("the node shut down");
  live.clear();
  auto none_left = [this] {
    std::lock_guard lock(streams_mutex_);
    return streams_ == 0;
  };
  if (drive_until(none_left)) return;
  std::unique_lock lock(streams_mutex_);
  streams_zero_.wait(lock, [this] { return streams_ == 0; });
}

bool NodeCore::drive_until(const std::function<bool()>& done) {
  auto* driven = dynamic_cast<troupe::detail::DrivenScheduler*>(&system_.core().scheduler());
  if (!driven) return false;
  // What a shutdown waits for ends without time passing (cancelled
  // streams, stopped dialers): a scheduler with nothing more to run would
  // wait forever.
  while (!done()) {
    if (driven->run_until_idle() == 0 && !done())
      throw std::logic_error("troupe: a node's shutdown waits for a task that cannot run");
  }
  return true;
}

}  // namespace troupe::remote::detail
