#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include <troupe/actor/dead_letter.hpp>
#include <troupe/cluster/detail/activator.hpp>
#include <troupe/cluster/detail/cluster_core.hpp>
#include <troupe/cluster/detail/placement.hpp>
#include <troupe/cluster/detail/virtual_actor.hpp>
#include <troupe/runtime/detail/task_header.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>

namespace troupe::cluster::detail {

using troupe::detail::ActorHandle;
using troupe::detail::EnvelopeBase;

namespace {

// Drives an ask that found the activation's way full (a full outbox) until
// it is queued: nobody else polls it once it has left the waiting list.
struct SubmitWhenRoom {
  std::unique_ptr<troupe::detail::AskSubmit> submit;
  bool poll(Context& cx) noexcept { return submit->poll(cx); }
  void await_resume() noexcept {}
};

Task<void> finish_submit(std::unique_ptr<troupe::detail::AskSubmit> submit) {
  co_await SubmitWhenRoom{std::move(submit)};
}

std::string display_name(const std::string& kind, const std::string& identity) {
  return "virtual:" + kind + "/" + identity;
}

}  // namespace

VirtualActor::VirtualActor(std::shared_ptr<ClusterCore> core, std::string kind,
                           std::string identity, HandleMaker make)
    : RemoteTarget(core->system().core().scheduler(), display_name(kind, identity), 0,
                   stable_hash(identity, stable_hash(kind)) | 1),
      core_(std::move(core)),
      kind_(std::move(kind)),
      identity_(std::move(identity)),
      make_(make) {}

VirtualActor::~VirtualActor() {
  // Nothing waits any more: a placement task holds a reference until done.
  for (auto& w : waiting_) refuse(w, "the virtual actor's last ref is gone");
}

namespace {

// A local activation that is stopping (passivated, say) takes no more
// messages, though the Down that makes this actor forget it may still be
// on its way: its mailbox is closed from the moment the stop begins.
bool stopping(const ActorHandle& target) noexcept {
  auto* cell = target.cell();
  return cell != nullptr && cell->mailbox().is_closed();
}

}  // namespace

bool VirtualActor::placed_and_reachable() noexcept {
  if (!target_ || placing_) return false;
  if (stopping(target_)) {
    // The next message activates the actor again, as after the Down.
    target_ = {};
    return false;
  }
  if (target_.is_remote() && !target_.remote()->reachable()) {
    // Its node is gone: rather than refuse the message, wait for the
    // activation to be placed again (on a survivor once that node's lease
    // has expired).
    target_ = {};
    return false;
  }
  return true;
}

TellStatus VirtualActor::tell(EnvelopeBase* e) noexcept {
  std::lock_guard lock(mutex_);
  if (placed_and_reachable()) return target_.tell(e);
  wait({Waiting::Op::kTell, e});
  return TellStatus::kQueued;
}

std::unique_ptr<troupe::detail::WireSend> VirtualActor::send(EnvelopeBase* e,
                                                             TellStatus* status) noexcept {
  std::lock_guard lock(mutex_);
  const bool placed = placed_and_reachable();
  if (placed && target_.is_remote()) return target_.remote()->send(e, status);
  // A local activation's mailbox, or the waiting list, takes it at once.
  if (placed) {
    *status = target_.tell(e);
  } else {
    wait({Waiting::Op::kTell, e});
    *status = TellStatus::kQueued;
  }
  return nullptr;
}

std::unique_ptr<troupe::detail::AskSubmit> VirtualActor::ask(
    EnvelopeBase* e, std::optional<Duration> timeout) noexcept {
  std::lock_guard lock(mutex_);
  if (placed_and_reachable()) return target_.ask(e, timeout);
  wait({Waiting::Op::kAsk, e, timeout});
  return nullptr;  // the ask's own timeout still runs: it fails if placing takes longer
}

void VirtualActor::monitor(troupe::detail::ActorCellBase& watcher) noexcept {
  std::lock_guard lock(mutex_);
  monitors_.emplace_back(watcher);
  if (!placed_and_reachable()) wait({Waiting::Op::kPlace});
}

void VirtualActor::link(troupe::detail::ActorCellBase& linked) noexcept {
  std::lock_guard lock(mutex_);
  Waiting w{Waiting::Op::kLink, nullptr, std::nullopt, troupe::detail::CellPtr(linked)};
  if (placed_and_reachable()) {
    apply(w);
  } else {
    wait(std::move(w));
  }
}

void VirtualActor::stop() noexcept {
  std::lock_guard lock(mutex_);
  if (target_) target_.stop();
}

void VirtualActor::forget(ActorId actor, std::uint64_t node, const ExitReason& reason) noexcept {
  std::lock_guard lock(mutex_);
  if (target_ && target_.id() == actor && target_.incarnation() == node) target_ = {};
  const auto it = std::find(placed_on_.begin(), placed_on_.end(), std::pair{actor, node});
  if (it == placed_on_.end()) return;
  placed_on_.erase(it);
  notify_monitors(reason);
}

void VirtualActor::notify_monitors(const ExitReason& reason) noexcept {
  for (auto& m : std::exchange(monitors_, {})) m->post_remote_down(id(), incarnation(), reason);
}

void VirtualActor::wait(Waiting w) {
  waiting_.push_back(std::move(w));
  if (!placing_) start_placing();
}

void VirtualActor::start_placing() {
  placing_ = true;
  target_ = {};
  troupe::detail::spawn_on(scheduler(), place(troupe::detail::RefPtr<VirtualActor>(*this)))
      .detach();
}

void VirtualActor::apply(Waiting& w) {
  switch (w.op) {
    case Waiting::Op::kTell:
      (void)target_.tell(std::exchange(w.envelope, nullptr));  // a refusal is its dead letter
      break;
    case Waiting::Op::kAsk:
      if (auto submit = target_.ask(std::exchange(w.envelope, nullptr), w.timeout)) {
        troupe::detail::spawn_on(scheduler(), finish_submit(std::move(submit))).detach();
      }
      break;
    case Waiting::Op::kPlace:
      break;
    case Waiting::Op::kLink:
      target_.link_with(*w.cell);
      break;
  }
}

void VirtualActor::refuse(Waiting& w, const std::string& why) {
  const auto cause = std::make_exception_ptr(std::runtime_error("troupe: " + node() + ": " + why));
  if (EnvelopeBase* e = std::exchange(w.envelope, nullptr)) {
    core_->system().core().dead_letter(
        DeadLetter{id(), e->type().name(), DeadLetterReason::kUnreachable});
    e->refuse(AskError::kUnreachable, cause);
    delete e;
  }
  if (w.op == Waiting::Op::kPlace) {
    notify_monitors(ExitReason::node_down(cause));
  } else if (w.op == Waiting::Op::kLink) {
    w.cell->post_remote_exit(id(), incarnation(), ExitReason::node_down(cause));
  }
}

void VirtualActor::placed(ActorHandle target, const std::string& why) {
  std::lock_guard lock(mutex_);
  placing_ = false;
  target_ = std::move(target);
  if (target_ && (stopping(target_) ||
                  std::find(placed_on_.begin(), placed_on_.end(),
                            std::pair{target_.id(), target_.incarnation()}) == placed_on_.end())) {
    start_placing();  // it stopped before it was used: again
    return;
  }
  while (!waiting_.empty()) {
    Waiting w = std::move(waiting_.front());
    waiting_.pop_front();
    if (target_) {
      apply(w);
    } else {
      refuse(w, why);
    }
  }
}

Task<void> VirtualActor::place(troupe::detail::RefPtr<VirtualActor> self) {
  ClusterCore& core = *self->core_;
  const ClusterOptions& o = core.options();
  const Instant deadline = Clock::now() + o.activation_timeout;
  Duration backoff = o.retry_min;
  std::string why = "no node hosts kind \"" + self->kind_ + "\"";
  std::optional<std::string> redirect;  // a node the last answer named
  std::optional<MpscReceiver<MemberEvent>> changes;
  for (;;) {
    std::optional<MemberInfo> home;
    if (redirect) {
      home = core.member(*redirect);
      redirect.reset();
    } else {
      std::uint64_t best = 0;
      for (auto& m : core.members()) {
        const auto& k = m.member.kinds;
        if (std::find(k.begin(), k.end(), self->kind_) == k.end()) continue;
        const std::uint64_t score = placement_score(m.member.node, self->kind_, self->identity_);
        if (!home || score > best) {
          best = score;
          home = std::move(m);
        }
      }
    }
    if (home) {
      v1::Activate request;
      request.set_kind(self->kind_);
      request.set_identity(self->identity_);
      const Duration left =
          std::max<Duration>(deadline - Clock::now(), std::chrono::milliseconds(1));
      auto activator = core.activator(*home, self->kind_, self->identity_);
      auto reply = co_await activator.ask(request, left);
      if (!reply) {
        why = "the activator on " + home->member.node +
              " did not answer: " + to_string(reply.error());
      } else {
        switch (reply->status()) {
          case v1::ActivateReply::ACTIVE: {
            ActorHandle target =
                self->make_(core.node(), reply->node(), reply->incarnation(), reply->actor());
            if (target && target.is_remote() && !target.remote()->reachable()) {
              // A member not connected yet (it has just joined): wait a little.
              const bool up = co_await core.node().wait_for(reply->node(), o.retry_max);
              if (!up || !target.remote()->reachable()) {
                why = "node " + reply->node() + " is not connected";
                break;
              }
            }
            if (target) {
              {
                std::lock_guard lock(self->mutex_);
                self->placed_on_.emplace_back(target.id(), target.incarnation());
              }
              core.watch_placement(target, troupe::detail::RemotePtr(*self));
              self->placed(std::move(target), {});
              co_return;
            }
            why = "the activation on " + reply->node() + " is already gone";
            break;
          }
          case v1::ActivateReply::ELSEWHERE:
            if (reply->node() != home->member.node) {
              redirect = reply->node();
              continue;
            }
            why = "a redirection to itself";
            break;
          default:
            why = reply->detail();
            break;
        }
      }
    }
    if (Clock::now() + backoff >= deadline) break;
    // A membership change (the old host's lease expired, a node joined)
    // is worth trying again at once; otherwise, after the backoff.
    if (!changes) changes.emplace(core.subscribe());
    auto woken = co_await select(changes->next(), sleep_for(backoff));
    if (woken.index() != 0) backoff = std::min(backoff * 2, o.retry_max);
  }
  self->placed({}, "not activated within the activation timeout: " + why);
}

}  // namespace troupe::cluster::detail
