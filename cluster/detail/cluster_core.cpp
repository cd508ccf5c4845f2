#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include <troupe/actor/actor.hpp>
#include <troupe/cluster/detail/activator.hpp>
#include <troupe/cluster/detail/cluster_core.hpp>
#include <troupe/cluster/detail/placement.hpp>
#include <troupe/cluster/detail/virtual_actor.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>

namespace troupe::cluster::detail {

using troupe::detail::ActorHandle;

namespace {

// Gets Down for what the cluster watches: placed activations (their
// virtual actors place again) and actors with cluster-wide names (their
// records are erased).
class ClusterWatcher : public Actor<ClusterWatcher> {
 public:
  explicit ClusterWatcher(std::weak_ptr<ClusterCore> core) : core_(std::move(core)) {}
  void handle(const Down& down) {
    if (auto core = core_.lock()) core->actor_stopped(down.actor, down.node, down.reason);
  }

 private:
  std::weak_ptr<ClusterCore> core_;
};

// Reads a watch into a channel, so that the membership loop can select on
// it next to the lease and the stop (a channel's pending receive loses
// nothing when another arm wins). Ends at the watch's first error, which
// it forwards.
Task<void> pump_watch(EtcdWatch watch, MpscSender<EtcdResult<WatchBatch>> out) {
  for (;;) {
    EtcdResult<WatchBatch> batch = co_await watch.next();
    const bool failed = !batch;
    if (!out.try_send(std::move(batch)) || failed) co_return;
  }
}

std::optional<MemberInfo> parse_member(const KeyValue& kv) {
  v1::Member record;
  if (!record.ParseFromString(kv.value) || record.node().empty()) return std::nullopt;
  MemberInfo m;
  m.member.node = record.node();
  m.member.incarnation = record.incarnation();
  m.member.kinds.assign(record.kinds().begin(), record.kinds().end());
  m.activators.assign(record.activators().begin(), record.activators().end());
  return m;
}

}  // namespace

ClusterCore::ClusterCore(remote::Node& node, ClusterOptions options, EtcdClient etcd)
    : node_(node),
      system_(node.system()),
      options_(std::move(options)),
      prefix_("/troupe/" + options_.name + "/"),
      etcd_(std::move(etcd)) {}

ClusterCore::~ClusterCore() = default;

void ClusterCore::log(const std::string& line, LogLevel level) const {
  if (options_.log) {
    options_.log(line);
  } else {
    troupe::log(level, "cluster " + options_.name + " (" + self() + ")", line);
  }
}

std::string ClusterCore::activation_key(std::string_view kind, std::string_view identity) const {
  std::string key = prefix_ + "activations/";
  key.append(kind).append("/").append(identity);
  return key;
}

// --- Hosting ---------------------------------------------------------------------

void ClusterCore::add_kind(std::string kind, Spawner spawner) {
  std::lock_guard lock(mutex_);
  if (started_) throw std::logic_error("troupe: Cluster::host is called before start");
  kinds_[std::move(kind)] = std::move(spawner);
}

const Spawner* ClusterCore::spawner(const std::string& kind) const {
  std::lock_guard lock(mutex_);
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : &it->second;  // fixed once started: stays valid
}

v1::Member ClusterCore::own_record() const {
  v1::Member m;
  m.set_node(self());
  m.set_incarnation(incarnation());
  std::lock_guard lock(mutex_);
  for (const auto& [kind, spawner] : kinds_) m.add_kinds(kind);
  for (const auto& a : activators_) m.add_activators(a.id());
  return m;
}

// --- Membership ------------------------------------------------------------------

std::vector<MemberInfo> ClusterCore::members() const {
  std::lock_guard lock(mutex_);
  std::vector<MemberInfo> all;
  all.reserve(members_.size());
  for (const auto& [name, m] : members_) all.push_back(m);
  return all;
}

std::optional<MemberInfo> ClusterCore::member(const std::string& node) const {
  std::lock_guard lock(mutex_);
  auto it = members_.find(node);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

LeaseId ClusterCore::lease() const {
  std::lock_guard lock(mutex_);
  return lease_;
}

MpscReceiver<MemberEvent> ClusterCore::subscribe() {
  auto [tx, rx] = channel::mpsc::unbounded<MemberEvent>();
  std::lock_guard lock(mutex_);
  subscribers_.push_back(std::move(tx));
  return std::move(rx);
}

Task<bool> ClusterCore::wait_joined(Duration timeout) {
  auto [tx, rx] = channel::mpsc::unbounded<bool>();
  {
    std::lock_guard lock(mutex_);
    if (joined_) co_return true;
    join_waiters_.push_back(std::move(tx));
  }
  auto r = co_await select(rx.next(), sleep_for(timeout));
  co_return r.index() == 0 && std::get<0>(r).value_or(false);
}

void ClusterCore::member_up(MemberInfo m, std::vector<MemberEvent>& events) {
  events.push_back({MemberEvent::Kind::kUp, m.member});
  members_[m.member.node] = std::move(m);
}

void ClusterCore::member_down(const std::string& node, std::vector<MemberEvent>& events) {
  auto it = members_.find(node);
  if (it == members_.end()) return;
  events.push_back({MemberEvent::Kind::kDown, std::move(it->second.member)});
  members_.erase(it);
}

void ClusterCore::publish(std::vector<MemberEvent> events) {
  // Connections change outside the lock: they reach into the node.
  for (const auto& e : events) {
    if (e.member.node == self()) continue;
    if (e.kind == MemberEvent::Kind::kUp) {
      node_.connect(e.member.node);
    } else {
      node_.disconnect(e.member.node);
    }
  }
  for (const auto& e : events) {
    log(std::string(e.kind == MemberEvent::Kind::kUp ? "member up: " : "member down: ") +
        e.member.node);
  }
  std::lock_guard lock(mutex_);
  for (const auto& e : events) {
    std::erase_if(subscribers_, [&](MpscSender<MemberEvent>& s) { return !s.try_send(e); });
  }
}

void ClusterCore::apply_snapshot(const std::vector<KeyValue>& kvs) {
  std::map<std::string, MemberInfo> fresh;
  for (const auto& kv : kvs) {
    if (auto m = parse_member(kv)) {
      fresh[m->member.node] = std::move(*m);
    } else {
      log("ignoring the member record " + kv.key + ": it does not parse", LogLevel::kWarning);
    }
  }
  std::vector<MemberEvent> events;
  {
    std::lock_guard lock(mutex_);
    std::vector<std::string> gone;
    for (const auto& [name, m] : members_) {
      auto it = fresh.find(name);
      if (it == fresh.end() || it->second.member.incarnation != m.member.incarnation)
        gone.push_back(name);
    }
    for (const auto& name : gone) member_down(name, events);
    for (auto& [name, m] : fresh) {
      if (!members_.contains(name)) {
        member_up(std::move(m), events);
      } else {
        members_[name] = std::move(m);  // the same run; its record changed
      }
    }
  }
  publish(std::move(events));
}

void ClusterCore::apply_put(const KeyValue& kv) {
  auto m = parse_member(kv);
  if (!m) {
    log("ignoring the member record " + kv.key + ": it does not parse", LogLevel::kWarning);
    return;
  }
  std::vector<MemberEvent> events;
  {
    std::lock_guard lock(mutex_);
    auto it = members_.find(m->member.node);
    if (it != members_.end() && it->second.member.incarnation == m->member.incarnation) {
      it->second = std::move(*m);
    } else {
      if (it != members_.end()) member_down(m->member.node, events);  // restarted: a new run
      member_up(std::move(*m), events);
    }
  }
  publish(std::move(events));
}

void ClusterCore::apply_delete(const std::string& key) {
  const std::string members_prefix = prefix_ + "members/";
  if (!key.starts_with(members_prefix)) return;
  std::vector<MemberEvent> events;
  {
    std::lock_guard lock(mutex_);
    member_down(key.substr(members_prefix.size()), events);
  }
  publish(std::move(events));
}

// --- The membership loop -----------------------------------------------------------

void ClusterCore::start() {
  {
    std::lock_guard lock(mutex_);
    if (started_) return;
    started_ = true;
  }
  auto watcher = system_.spawn<ClusterWatcher>(weak_from_this());
  std::vector<ActorRef<Activator>> activators;
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.activators, 1); ++i) {
    auto a = system_.spawn<Activator>(shared_from_this());
    node_.publish("troupe.cluster.activator." + std::to_string(i), a);
    activators.push_back(std::move(a));
  }
  auto [tx, rx] = channel::mpsc::unbounded<bool>();
  std::lock_guard lock(mutex_);
  watcher_ = watcher.handle();
  activators_ = std::move(activators);
  stop_ = std::move(tx);
  loop_.emplace(troupe::detail::spawn_on(system_.core().scheduler(), run(std::move(rx))));
}

Task<void> ClusterCore::run(MpscReceiver<bool> stop) {
  Duration backoff = options_.retry_min;
  std::string reported;  // one line per outage, not one per try
  while (!stop.is_closed()) {
    std::string why;
    auto grant = co_await etcd_.grant(options_.lease_ttl);
    if (grant) {
      auto ended = co_await serve_lease(*grant, stop);
      if (!ended) co_return;  // stopped: left the cluster
      why = *ended;
    } else {
      why = "cannot get a lease: " + grant.error().message();
    }
    if (why != reported) {
      log(why + "; retrying", LogLevel::kWarning);
      reported = why;
    }
    auto r = co_await select(stop.next(), sleep_for(backoff));
    if (r.index() == 0) co_return;
    backoff = std::min(backoff * 2, options_.retry_max);
  }
}

Task<std::optional<std::string>> ClusterCore::claim_member_record(const LeaseGrant& grant) {
  const std::string key = member_key(self());
  const std::string value = own_record().SerializeAsString();
  auto claim = co_await etcd_.create_if_absent(key, value, grant.id);
  if (!claim) co_return "cannot write the member record: " + claim.error().message();
  if (claim->created) co_return std::nullopt;
  v1::Member holder;
  if (!holder.ParseFromString(claim->current.value)) {
    co_return "the member record " + key + " does not parse; waiting for it to expire";
  }
  if (holder.incarnation() != incarnation()) {
    co_return "a node named " + self() + " is already a member (another run, incarnation " +
        std::to_string(holder.incarnation()) + "); waiting for it to leave";
  }
  // Our own record under an earlier lease (etcd was lost a while): move it.
  auto moved = co_await etcd_.put_if(key, value, claim->current.mod_revision, grant.id);
  if (!moved || !moved->succeeded) co_return "cannot take over the member record " + key;
  co_return std::nullopt;
}

Task<bool> ClusterCore::put_name(const Registration& r, LeaseId lease) {
  v1::NamedActor mine;
  mine.set_node(self());
  mine.set_incarnation(incarnation());
  mine.set_actor(r.handle.id());
  for (const auto& t : r.message_types) mine.add_message_types(t);
  const std::string key = name_key(r.name);
  const std::string value = mine.SerializeAsString();
  auto claim = co_await etcd_.create_if_absent(key, value, lease);
  if (!claim) {
    log("cannot register the name " + r.name + ": " + claim.error().message(), LogLevel::kWarning);
    co_return false;
  }
  if (claim->created) co_return true;
  if (claim->current.value != value) co_return false;  // another actor holds it
  if (claim->current.lease == lease) co_return true;
  auto moved = co_await etcd_.put_if(key, value, claim->current.mod_revision, lease);
  co_return moved && moved->succeeded;
}

Task<void> ClusterCore::guard_lease(LeaseKeeper keeper, MpscReceiver<bool> stop,
                                    MpscSender<std::string> lost) {
  for (;;) {
    auto r = co_await select(keeper.events().next(), stop.next());
    if (r.index() == 1) {
      keeper.stop();
      co_return;
    }
    const std::optional<LeaseEvent>& e = std::get<0>(r);
    if (e && e->status == LeaseStatus::kAlive) continue;
    std::string why =
        !e ? std::string("the lease keeper stopped")
           : (e->status == LeaseStatus::kExpired ? "the lease expired: " : "the lease is lost: ") +
                 e->detail;
    // At once, not after whatever the membership loop is waiting for: the
    // keeper's margin is all the time there is before another node may
    // take these activations over.
    stop_hosting(why, true);
    (void)lost.try_send(std::move(why));
    co_return;
  }
}

Task<std::optional<std::string>> ClusterCore::serve_lease(const LeaseGrant& grant,
                                                          MpscReceiver<bool>& stop) {
  auto [guard_stop_tx, guard_stop_rx] = channel::mpsc::unbounded<bool>();
  auto [lost_tx, lost_rx] = channel::mpsc::unbounded<std::string>();
  JoinHandle<void> guard = troupe::detail::spawn_on(
      system_.core().scheduler(),
      guard_lease(etcd_.keep_alive(grant), std::move(guard_stop_rx), std::move(lost_tx)));
  // The guard ends with the lease, or when this function ends (and then
  // stops renewing it).
  struct StopGuard {
    MpscSender<bool>& tx;
    ~StopGuard() { tx.close(); }
  } stop_guard{guard_stop_tx};

  if (auto refused = co_await claim_member_record(grant)) co_return refused;
  std::vector<Registration> names;
  {
    std::lock_guard lock(mutex_);
    lease_ = grant.id;
    names = registrations_;
  }
  for (const auto& r : names) {
    if (!co_await put_name(r, grant.id))
      log("lost the name " + r.name + " while away", LogLevel::kWarning);
  }

  std::optional<std::string> ended;
  bool stopped = false;
  while (!ended && !stopped) {
    auto snapshot = co_await etcd_.get_prefix(prefix_ + "members/");
    std::optional<JoinHandle<void>> pump;
    auto [watch_tx, watch_rx] = channel::mpsc::unbounded<EtcdResult<WatchBatch>>();
    if (snapshot) {
      apply_snapshot(snapshot->kvs);
      std::vector<MpscSender<bool>> waiters;
      {
        std::lock_guard lock(mutex_);
        if (lease_ == grant.id) joined_ = true;
        waiters.swap(join_waiters_);
      }
      for (auto& w : waiters) (void)w.try_send(true);
      auto watch = co_await etcd_.watch_prefix(prefix_ + "members/", snapshot->revision + 1);
      if (watch) {
        pump.emplace(troupe::detail::spawn_on(system_.core().scheduler(),
                                              pump_watch(std::move(*watch), std::move(watch_tx))));
      } else {
        log("cannot watch the members: " + watch.error().message(), LogLevel::kWarning);
      }
    } else {
      log("cannot read the members: " + snapshot.error().message(), LogLevel::kWarning);
    }
    // Without a watch, the members are read again after a while.
    const Duration reread_after = pump ? std::chrono::hours(1) : options_.retry_max;
    bool reread = false;
    while (!ended && !stopped && !reread) {
      auto r =
          co_await select(lost_rx.next(), watch_rx.next(), stop.next(), sleep_for(reread_after));
      switch (r.index()) {
        case 0:
          ended = std::get<0>(r).value_or("the lease is lost");
          break;
        case 1: {
          std::optional<EtcdResult<WatchBatch>>& b = std::get<1>(r);
          if (!b || !*b) {
            if (b)
              log("the members watch ended: " + b->error().message() + "; reading again",
                  LogLevel::kWarning);
            reread = true;
            break;
          }
          for (const auto& e : (*b)->events) {
            if (e.type == WatchEvent::Type::kPut) {
              apply_put(e.kv);
            } else {
              apply_delete(e.kv.key);
            }
          }
          break;
        }
        case 2:
          stopped = true;
          break;
        default:
          reread = true;
          break;
      }
    }
    if (pump) pump->cancel();
  }
  if (stopped) {
    // A graceful leave: the activations stop first, then the records go at once.
    stop_hosting("leaving the cluster", false);
    guard_stop_tx.close();
    co_await guard;
    auto revoked = co_await etcd_.revoke(grant.id);
    if (!revoked)
      log("could not revoke the lease: " + revoked.error().message(), LogLevel::kWarning);
    co_return std::nullopt;
  }
  co_return ended;
}

void ClusterCore::stop_hosting(const std::string& why, bool lease_lost) {
  std::vector<ActorRef<Activator>> activators;
  {
    std::lock_guard lock(mutex_);
    if (lease_ == 0) return;
    lease_ = 0;
    joined_ = false;
    activators = activators_;
  }
  log("stopped hosting: " + why, lease_lost ? LogLevel::kWarning : LogLevel::kInfo);
  for (auto& a : activators) (void)a.tell(StopHosting{});
}

// --- Names -----------------------------------------------------------------------

Task<bool> ClusterCore::register_name(std::string name, ActorHandle handle,
                                      std::vector<std::string> message_types) {
  if (!co_await wait_joined(options_.activation_timeout)) co_return false;
  Registration r{std::move(name), std::move(handle), std::move(message_types)};
  const LeaseId lease = this->lease();
  if (lease == 0 || !co_await put_name(r, lease)) co_return false;
  {
    std::lock_guard lock(mutex_);
    registrations_.push_back(r);
  }
  r.handle.monitor_by(*watcher_.cell());  // erased when it stops
  co_return true;
}

Task<bool> ClusterCore::unregister_name(std::string name) {
  std::optional<Registration> r;
  {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(registrations_.begin(), registrations_.end(),
                           [&](const Registration& x) { return x.name == name; });
    if (it == registrations_.end()) co_return false;
    r = std::move(*it);
    registrations_.erase(it);
  }
  co_await erase_name(shared_from_this(), r->name, r->handle.id());
  co_return true;
}

Task<std::vector<std::string>> ClusterCore::identities(std::string kind) {
  const std::string prefix = activation_key(kind, "");
  auto range = co_await etcd_.get_prefix(prefix);
  std::vector<std::string> out;
  if (!range) {
    log("cannot list the activations of " + kind + ": " + range.error().message(),
        LogLevel::kWarning);
    co_return out;
  }
  for (const auto& kv : range->kvs) out.push_back(kv.key.substr(prefix.size()));
  co_return out;
}

Task<Expected<v1::NamedActor, remote::LookupFailure>> ClusterCore::find_name(std::string name) {
  using Failure = remote::LookupFailure;
  auto kv = co_await etcd_.get(name_key(name));
  if (!kv) {
    co_return unexpected(Failure{remote::LookupError::kUnreachable,
                                 "cannot read the cluster's names: " + kv.error().message()});
  }
  v1::NamedActor record;
  if (!*kv || !record.ParseFromString((**kv).value)) {
    co_return unexpected(Failure{remote::LookupError::kNotFound,
                                 "no actor of the cluster is registered as \"" + name + "\""});
  }
  co_return record;
}

void ClusterCore::actor_stopped(ActorId actor, std::uint64_t node, const ExitReason& reason) {
  std::vector<troupe::detail::RemotePtr> placed;
  std::vector<Registration> names;
  {
    std::lock_guard lock(mutex_);
    if (auto it = placements_.find({actor, node}); it != placements_.end()) {
      placed = std::move(it->second);
      placements_.erase(it);
    }
    if (node == 0) {
      auto moved =
          std::stable_partition(registrations_.begin(), registrations_.end(),
                                [&](const Registration& r) { return r.handle.id() != actor; });
      names.assign(moved, registrations_.end());
      registrations_.erase(moved, registrations_.end());
    }
  }
  for (auto& va : placed) static_cast<VirtualActor*>(va.get())->forget(actor, node, reason);
  for (auto& r : names) {
    troupe::detail::spawn_on(system_.core().scheduler(),
                             erase_name(shared_from_this(), r.name, actor))
        .detach();
  }
}

Task<void> ClusterCore::erase_name(std::shared_ptr<ClusterCore> self, std::string name,
                                   ActorId actor) {
  // Only if the record is still this actor's.
  const std::string key = self->name_key(name);
  auto kv = co_await self->etcd_.get(key);
  if (!kv || !*kv) co_return;
  v1::NamedActor record;
  if (record.ParseFromString((**kv).value) && record.node() == self->self() &&
      record.incarnation() == self->incarnation() && record.actor() == actor) {
    (void)co_await self->etcd_.erase_if(key, (**kv).mod_revision);
  }
}

// --- Virtual actors ----------------------------------------------------------------

ActorRef<Activator> ClusterCore::activator(const MemberInfo& member, std::string_view kind,
                                           std::string_view identity) {
  if (member.activators.empty()) return {};
  const std::size_t shard = activator_shard(kind, identity, member.activators.size());
  if (member.member.node == self()) {
    std::lock_guard lock(mutex_);
    if (shard < activators_.size()) return activators_[shard];
    return {};
  }
  return node_.ref<Activator>(member.member.node, member.member.incarnation,
                              member.activators[shard]);
}

troupe::detail::RemotePtr ClusterCore::virtual_actor(const std::string& kind,
                                                     const std::string& identity,
                                                     HandleMaker make) {
  const std::string key = activation_key(kind, identity);
  std::lock_guard lock(mutex_);
  auto& slot = virtuals_[key];
  if (!slot) {
    slot = troupe::detail::RemotePtr::adopt(
        new VirtualActor(shared_from_this(), kind, identity, make));
  }
  return slot;
}

void ClusterCore::watch_placement(const ActorHandle& target, troupe::detail::RemotePtr va) {
  {
    std::lock_guard lock(mutex_);
    placements_[{target.id(), target.incarnation()}].push_back(std::move(va));
  }
  target.monitor_by(*watcher_.cell());
}

// --- Leaving -----------------------------------------------------------------------

void ClusterCore::shutdown() {
  std::optional<JoinHandle<void>> loop;
  std::vector<ActorRef<Activator>> activators;
  ActorHandle watcher;
  {
    std::lock_guard lock(mutex_);
    if (shut_down_ || !started_) {
      shut_down_ = true;
      return;
    }
    shut_down_ = true;
    stop_.close();
    loop = std::move(loop_);
    loop_.reset();
    activators = std::move(activators_);
    watcher = std::move(watcher_);
    virtuals_.clear();  // their placements hold the core: let them go
    placements_.clear();
  }
  if (loop) {
    try {
      loop->wait();
    } catch (const TaskCancelled&) {
      // The runtime shut down first and cancelled the loop: nothing to leave.
    }
  }
  for (auto& a : activators) a.stop();
  watcher.stop();
}

}  // namespace troupe::cluster::detail
