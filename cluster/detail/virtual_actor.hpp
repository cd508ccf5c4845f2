#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <troupe/actor/detail/actor_handle.hpp>
#include <troupe/actor/detail/remote_target.hpp>
#include <troupe/actor/exit_reason.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::cluster::detail {

class ClusterCore;
struct MemberInfo;
using HandleMaker = troupe::detail::ActorHandle (*)(remote::Node&, std::string_view, std::uint64_t,
                                                    ActorId);

/// A virtual actor as an ActorRef reaches it (Cluster::get): an identity
/// of a kind, not an actor. Its messages go to the current activation,
/// wherever it is; while there is none, they wait here, in order, while
/// a task places it: rendezvous placement picks the home among the members
/// that host the kind, whose activator finds or makes the activation. When
/// that activation stops (passivated, or its node lost) the next message
/// places it again. A message that waits longer than the activation
/// timeout is a dead letter (kUnreachable) and an ask in it fails.
///
/// One per identity on a node (ClusterCore::virtual_actor), shared by
/// every ref to it, which keeps one sender's messages in order. Thread-safe.
class VirtualActor final : public troupe::detail::RemoteTarget {
 public:
  VirtualActor(std::shared_ptr<ClusterCore> core, std::string kind, std::string identity,
               HandleMaker make);
  ~VirtualActor() override;

  const std::string& kind() const noexcept { return kind_; }
  const std::string& identity() const noexcept { return identity_; }

  TellStatus tell(troupe::detail::EnvelopeBase* e) noexcept override;
  std::unique_ptr<troupe::detail::WireSend> send(troupe::detail::EnvelopeBase* e,
                                                 TellStatus* status) noexcept override;
  std::unique_ptr<troupe::detail::AskSubmit> ask(troupe::detail::EnvelopeBase* e,
                                                 std::optional<Duration> timeout) noexcept override;
  /// Down (with this virtual actor's id, node 0) when its current
  /// activation stops: passivated, stopped, or its node lost. Places it
  /// first if there is none (Down at once if that fails).
  void monitor(troupe::detail::ActorCellBase& watcher) noexcept override;
  void link(troupe::detail::ActorCellBase& linked) noexcept override;
  /// Stops the current activation, if there is one (it is not placed for this).
  void stop() noexcept override;

  /// The activation `actor` (of node incarnation `node`; 0 for this
  /// process) stopped with `reason`: if it is the current one, the next
  /// message places the actor again; the monitors get Down.
  void forget(ActorId actor, std::uint64_t node, const ExitReason& reason) noexcept;

 private:
  // What waits for the activation, in the order it came.
  struct Waiting {
    enum class Op { kTell, kAsk, kPlace, kLink };
    Op op;
    troupe::detail::EnvelopeBase* envelope = nullptr;
    std::optional<Duration> timeout{};
    troupe::detail::CellPtr cell{};
  };
  // Under mutex_: true if messages go to the current activation now (false:
  // they wait; an activation on a node that is gone is forgotten).
  bool placed_and_reachable() noexcept;
  // Under mutex_: queues `w`, starting a placement if none runs.
  void wait(Waiting w);
  void start_placing();
  // Under mutex_: applies `w` to the current activation.
  void apply(Waiting& w);
  // Under mutex_: `w` could not be placed: dead letter, failed ask, Exit.
  void refuse(Waiting& w, const std::string& why);
  // Under mutex_: Down to every monitor, which then watches no more.
  void notify_monitors(const ExitReason& reason) noexcept;
  static Task<void> place(troupe::detail::RefPtr<VirtualActor> self);
  // Placement done: `target` (empty: failed, `why` says why).
  void placed(troupe::detail::ActorHandle target, const std::string& why);

  std::shared_ptr<ClusterCore> core_;
  const std::string kind_;
  const std::string identity_;
  const HandleMaker make_;

  std::mutex mutex_;
  troupe::detail::ActorHandle target_;  // the current activation; empty while there is none
  bool placing_ = false;
  std::deque<Waiting> waiting_;
  // The activations it was placed on that have not stopped yet, and the
  // actors monitoring it.
  std::vector<std::pair<ActorId, std::uint64_t>> placed_on_;
  std::vector<troupe::detail::CellPtr> monitors_;
};

}  // namespace troupe::cluster::detail
