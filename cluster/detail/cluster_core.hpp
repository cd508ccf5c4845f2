#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/detail/actor_handle.hpp>
#include <troupe/actor/spawn_options.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/cluster/cluster_options.hpp>
#include <troupe/cluster/detail/etcd_client.hpp>
#include <troupe/cluster/member.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/log.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/v1/membership.pb.h>

namespace troupe::cluster::detail {

class Activator;
class VirtualActor;

/// A member as this node knows it: its record, and how to reach its
/// activators. A plain value.
struct MemberInfo {
  Member member;
  std::vector<ActorId> activators;
};

/// Makes one activation of a virtual actor kind: spawns the actor for
/// `identity` (top-level, with `options`) and publishes it on the node.
using Spawner = std::function<troupe::detail::ActorHandle(const std::string& identity,
                                                          const SpawnOptions& options)>;
/// A handle to actor `id` on `node` (incarnation `incarnation`) of the
/// kind's class: remote::Node::ref for that class.
using HandleMaker = troupe::detail::ActorHandle (*)(remote::Node& node, std::string_view owner,
                                                    std::uint64_t incarnation, ActorId id);

/// What a Cluster's parts share: the node and its etcd client, who the
/// members are, the lease this node holds, the kinds it hosts and its
/// activators. The membership loop (run) lives here too: it holds the
/// lease, keeps the member record and the cluster-wide names under it,
/// and follows the member records with a watch.
///
/// Owned by the Cluster (shared_ptr: tasks, activators and virtual actors
/// hold it). Thread-safe.
class ClusterCore : public std::enable_shared_from_this<ClusterCore> {
 public:
  ClusterCore(remote::Node& node, ClusterOptions options, EtcdClient etcd);
  ~ClusterCore();

  remote::Node& node() noexcept { return node_; }
  ActorSystem& system() noexcept { return system_; }
  const ClusterOptions& options() const noexcept { return options_; }
  const EtcdClient& etcd() const noexcept { return etcd_; }
  const std::string& self() const noexcept { return node_.name(); }
  std::uint64_t incarnation() const noexcept { return node_.incarnation(); }
  /// One line to ClusterOptions::log, or the framework's log (troupe::log,
  /// component "cluster <name> (<node>)").
  void log(const std::string& line, LogLevel level = LogLevel::kInfo) const;

  // --- Keys ----------------------------------------------------------------------
  std::string member_key(std::string_view node) const {
    return prefix_ + "members/" + std::string(node);
  }
  std::string name_key(std::string_view name) const {
    return prefix_ + "names/" + std::string(name);
  }
  std::string activation_key(std::string_view kind, std::string_view identity) const;

  // --- Hosting -------------------------------------------------------------------
  /// Before start: this node hosts `kind`.
  void add_kind(std::string kind, Spawner spawner);
  /// How to make an activation of `kind`, or null if this node does not host it.
  const Spawner* spawner(const std::string& kind) const;

  // --- Membership ----------------------------------------------------------------
  /// The members now (this node included once it has joined).
  std::vector<MemberInfo> members() const;
  std::optional<MemberInfo> member(const std::string& node) const;
  /// The lease this node's records live under; 0 while it holds none.
  LeaseId lease() const;
  /// A receiver of every membership change from now on.
  MpscReceiver<MemberEvent> subscribe();
  /// True once this node is a member (within `timeout`).
  Task<bool> wait_joined(Duration timeout);

  // --- Names ---------------------------------------------------------------------
  /// Registers `handle` (a local actor, published on the node as `name`)
  /// cluster-wide; false if another actor holds the name, or etcd could
  /// not be reached.
  Task<bool> register_name(std::string name, troupe::detail::ActorHandle handle,
                           std::vector<std::string> message_types);
  /// Frees `name` if an actor of this node holds it.
  Task<bool> unregister_name(std::string name);
  /// The identities of `kind` with an activation record now.
  Task<std::vector<std::string>> identities(std::string kind);
  /// The record of `name`, or why not (kNotFound: no actor holds it;
  /// kUnreachable: etcd could not be read).
  Task<Expected<v1::NamedActor, remote::LookupFailure>> find_name(std::string name);

  // --- Virtual actors ------------------------------------------------------------
  /// The activator of `member` for `kind`/`identity`.
  ActorRef<Activator> activator(const MemberInfo& member, std::string_view kind,
                                std::string_view identity);
  /// The one VirtualActor of `kind`/`identity` on this node (made on first use).
  troupe::detail::RemotePtr virtual_actor(const std::string& kind, const std::string& identity,
                                          HandleMaker make);
  /// `va` placed its messages on `target`: when that activation stops, it
  /// is told to place them again.
  void watch_placement(const troupe::detail::ActorHandle& target, troupe::detail::RemotePtr va);
  /// A watched actor stopped (its Down came): the virtual actors placed
  /// on it place again; a cluster-wide name it held is erased.
  void actor_stopped(ActorId actor, std::uint64_t node, const ExitReason& reason);

  // --- Life ----------------------------------------------------------------------
  /// Starts the activators and the membership loop.
  void start();
  /// Leaves: stops hosting (activations stop, their on_stop runs), revokes
  /// the lease (the member record, names and activation records go at
  /// once), stops the loop. From outside the runtime; idempotent.
  void shutdown();

 private:
  struct Registration {
    std::string name;
    troupe::detail::ActorHandle handle;
    std::vector<std::string> message_types;
  };

  Task<void> run(MpscReceiver<bool> stop);
  // One lease's life: claims the member record, re-registers the names,
  // follows the members until the lease is lost (returns why) or the
  // loop is stopped (returns nothing).
  Task<std::optional<std::string>> serve_lease(const LeaseGrant& grant, MpscReceiver<bool>& stop);
  // Reads the keeper's reports; stops hosting the moment the lease is in
  // doubt, and says why on `lost`.
  Task<void> guard_lease(LeaseKeeper keeper, MpscReceiver<bool> stop, MpscSender<std::string> lost);
  Task<std::optional<std::string>> claim_member_record(const LeaseGrant& grant);
  Task<bool> put_name(const Registration& r, LeaseId lease);
  v1::Member own_record() const;
  static Task<void> erase_name(std::shared_ptr<ClusterCore> self, std::string name, ActorId actor);
  // Replaces the member table with `kvs` (a fresh read), reporting the changes.
  void apply_snapshot(const std::vector<KeyValue>& kvs);
  void apply_put(const KeyValue& kv);
  void apply_delete(const std::string& key);
  // Under mutex_: the member table changes; connects or disconnects and
  // reports after the lock is released (see flush_changes).
  void member_up(MemberInfo m, std::vector<MemberEvent>& events);
  void member_down(const std::string& node, std::vector<MemberEvent>& events);
  void publish(std::vector<MemberEvent> events);
  // The lease is lost (or given up: leaving): this node stops hosting.
  void stop_hosting(const std::string& why, bool lease_lost);

  remote::Node& node_;
  ActorSystem& system_;
  const ClusterOptions options_;
  const std::string prefix_;
  EtcdClient etcd_;

  mutable std::mutex mutex_;
  std::map<std::string, Spawner> kinds_;       // fixed once started
  std::map<std::string, MemberInfo> members_;  // by node name
  LeaseId lease_ = 0;
  bool joined_ = false;
  std::vector<MpscSender<bool>> join_waiters_;
  std::vector<MpscSender<MemberEvent>> subscribers_;
  std::vector<Registration> registrations_;
  std::unordered_map<std::string, troupe::detail::RemotePtr> virtuals_;  // by activation key
  // Placed activations -> the virtual actors placed on them.
  std::map<std::pair<ActorId, std::uint64_t>, std::vector<troupe::detail::RemotePtr>> placements_;

  std::vector<ActorRef<Activator>> activators_;
  troupe::detail::ActorHandle watcher_;  // gets Down of placed activations
  MpscSender<bool> stop_;
  std::optional<JoinHandle<void>> loop_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace troupe::cluster::detail
