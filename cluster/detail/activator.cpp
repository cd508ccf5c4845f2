#include <string>
#include <utility>

#include <troupe/cluster/detail/activator.hpp>
#include <troupe/cluster/detail/cluster_core.hpp>

namespace troupe::cluster::detail {

namespace {

v1::ActivateReply reply(v1::ActivateReply::Status status, std::string detail = {}) {
  v1::ActivateReply r;
  r.set_status(status);
  r.set_detail(std::move(detail));
  return r;
}

// Actor::monitor takes a typed handle; an activation is known untyped.
struct Untyped {
  const troupe::detail::ActorHandle& h;
  const troupe::detail::ActorHandle& handle() const noexcept { return h; }
};

}  // namespace

v1::ActivateReply Activator::active(const Active& a) const {
  v1::ActivateReply r = reply(v1::ActivateReply::ACTIVE);
  r.set_node(core_->self());
  r.set_incarnation(core_->incarnation());
  r.set_actor(a.handle.id());
  return r;
}

Task<v1::ActivateReply> Activator::handle(const v1::Activate& request) {
  const std::string key = core_->activation_key(request.kind(), request.identity());
  if (auto it = by_key_.find(key); it != by_key_.end()) co_return active(it->second);
  const Spawner* spawn = core_->spawner(request.kind());
  if (spawn == nullptr) {
    co_return reply(v1::ActivateReply::NOT_HOSTED,
                    core_->self() + " does not host kind \"" + request.kind() + "\"");
  }
  const LeaseId lease = core_->lease();
  if (lease == 0) co_return reply(v1::ActivateReply::RETRY, core_->self() + " is not a member now");

  v1::Activation mine;
  mine.set_node(core_->self());
  mine.set_incarnation(core_->incarnation());
  const std::string value = mine.SerializeAsString();
  auto claim = co_await core_->etcd().create_if_absent(key, value, lease);
  if (!claim) co_return reply(v1::ActivateReply::RETRY, claim.error().message());
  std::int64_t mod_revision = claim->current.mod_revision;
  if (!claim->created) {
    v1::Activation holder;
    if (!holder.ParseFromString(claim->current.value)) {
      core_->log("activation record " + key + " does not parse; waiting for it to expire",
                 LogLevel::kWarning);
      co_return reply(v1::ActivateReply::RETRY, "unreadable activation record");
    }
    const bool ours =
        holder.node() == core_->self() && holder.incarnation() == core_->incarnation();
    if (!ours) {
      const auto owner = core_->member(holder.node());
      if (owner && owner->member.incarnation == holder.incarnation()) {
        v1::ActivateReply r = reply(v1::ActivateReply::ELSEWHERE);
        r.set_node(holder.node());
        r.set_incarnation(holder.incarnation());
        co_return r;
      }
      co_return reply(v1::ActivateReply::RETRY,
                      "held by " + holder.node() + ", whose lease has not expired yet");
    }
    // Ours, from an activation that has stopped but whose record is not
    // erased yet, or from an earlier lease: take it over under this lease.
    auto cas = co_await core_->etcd().put_if(key, value, claim->current.mod_revision, lease);
    if (!cas || !cas->succeeded || !cas->current) {
      co_return reply(v1::ActivateReply::RETRY, "the activation record changed meanwhile");
    }
    mod_revision = cas->current->mod_revision;
  }
  if (core_->lease() != lease) {
    // Lost while claiming: the record goes with that lease.
    co_return reply(v1::ActivateReply::RETRY, core_->self() + " lost its lease");
  }
  SpawnOptions options;
  options.stop_when_idle = core_->options().passivate_after;
  Active a{(*spawn)(request.identity(), options), mod_revision};
  monitor(Untyped{a.handle});
  key_of_[a.handle.id()] = key;
  auto [it, inserted] = by_key_.emplace(key, std::move(a));
  co_return active(it->second);
}

void Activator::handle(const Down& down) {
  auto it = key_of_.find(down.actor);
  if (it == key_of_.end()) return;
  std::string key = std::move(it->second);
  key_of_.erase(it);
  auto active = by_key_.find(key);
  if (active == by_key_.end()) return;
  const std::int64_t mod_revision = active->second.mod_revision;
  by_key_.erase(active);
  // After the requests already queued: one of them may claim the record
  // again, and then this erase (of the claim as it was) changes nothing.
  (void)self().tell(EraseActivation{std::move(key), mod_revision});
}

Task<void> Activator::handle(const EraseActivation& erase) {
  auto erased = co_await core_->etcd().erase_if(erase.key, erase.mod_revision);
  if (!erased)
    core_->log("could not erase " + erase.key + ": " + erased.error().message(),
               LogLevel::kWarning);
}

void Activator::handle(const StopHosting&) {
  for (auto& [key, a] : by_key_) a.handle.stop();
  // Their records go with the lost lease; their Downs find nothing here.
  by_key_.clear();
  key_of_.clear();
}

}  // namespace troupe::cluster::detail
