#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/cluster/cluster_options.hpp>
#include <troupe/cluster/detail/cluster_core.hpp>
#include <troupe/cluster/member.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/remote/lookup_result.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::cluster {

/// A node's membership in a cluster whose state lives in etcd: which nodes
/// are up (each keeps a lease alive and its member record under it),
/// actors registered under cluster-wide names, and virtual actors, which
/// exist by identity and are activated on demand on one node at a time.
///
///   troupe::remote::Node node(system, {.listen = "127.0.0.1:7001", .cluster_secret = s});
///   troupe::cluster::Cluster cluster(node, {.etcd = {.endpoints = {"127.0.0.1:2379"}}});
///   cluster.host<Room>("room");          // Room(std::string identity)
///   cluster.start();
///   auto general = cluster.get<Room>("room", "#general");  // an ActorRef<Room>
///   general.tell(join);                  // activates it on some node if need be
///
/// Nodes that join are connected to; one that leaves, or whose lease
/// expires, is disconnected as a lost node (Down with kNodeDown, asks fail
/// with kUnreachable). Node names are the addresses nodes dial (the
/// remote::Node default).
///
/// Borrows the node, which must outlive it; shut it down (or destroy it)
/// before the node. Thread-safe, except host (before start) and shutdown
/// (from outside the runtime).
class Cluster {
 public:
  /// Sets the cluster up without joining (start does). Throws
  /// std::invalid_argument if the etcd options cannot work (no endpoint, a
  /// TLS file that cannot be read).
  Cluster(remote::Node& node, ClusterOptions options);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster();

  /// Before start: this node hosts virtual actors of class A as `kind`,
  /// made as `A(identity, args...)`. Every node that hosts a kind must
  /// host it with the same class. A lists its protobuf `messages`, since
  /// any node may send them.
  template <class A, class... Args>
  void host(std::string kind, Args... args) {
    remote::Node& node = node_;
    core_->add_kind(std::move(kind),
                    [&node, args...](const std::string& identity, const SpawnOptions& options) {
                      ActorRef<A> ref = node.system().spawn_with<A>(options, identity, args...);
                      node.expose(ref);  // reached by id from the other nodes
                      return ref.handle();
                    });
  }

  /// Joins: keeps trying etcd (with backoff, one log line per outage)
  /// until this node is a member, and stays one (rejoining after etcd
  /// was lost) until shutdown.
  void start() { core_->start(); }
  /// `co_await wait_joined(timeout)`: true once this node is a member.
  Task<bool> wait_joined(Duration timeout) { return core_->wait_joined(timeout); }

  /// The members as this node sees them now (itself included once joined).
  std::vector<Member> members() const;
  /// Every membership change from now on (member up, member down), in order.
  MpscReceiver<MemberEvent> events() { return core_->subscribe(); }

  /// A ref to the virtual actor `identity` of `kind`, at once, on any node
  /// of the cluster (whether or not it hosts the kind). The first message
  /// activates it on one node that hosts the kind; messages wait (in order)
  /// while it is placed, or placed again after its node was lost, up to
  /// ClusterOptions::activation_timeout, then are dead letters. monitor()
  /// watches the current activation; stop() stops it (it is made again by
  /// the next message).
  template <class A>
  ActorRef<A> get(const std::string& kind, const std::string& identity) {
    constexpr detail::HandleMaker make = [](remote::Node& node, std::string_view owner,
                                            std::uint64_t incarnation, ActorId id) {
      return node.ref<A>(owner, incarnation, id).handle();
    };
    return ActorRef<A>(troupe::detail::ActorHandle(core_->virtual_actor(kind, identity, make)));
  }

  /// `co_await register_name(name, ref)`: makes local actor `ref` reachable
  /// cluster-wide as `name` until it stops or this node leaves (it may
  /// have other cluster names, and a name in its system's registry). False
  /// if another actor holds the name, or this node did not become a member
  /// in time. A lists its protobuf `messages`, since any node may send them.
  template <class A>
  Task<bool> register_name(std::string name, ActorRef<A> ref) {
    if (ref.is_remote() || !node_.expose(ref)) return refused();
    return core_->register_name(std::move(name), ref.handle(),
                                proto::type_names(typename A::messages{}));
  }

  /// The same for a loop actor over protobuf messages M.
  template <class M>
  Task<bool> register_name(std::string name, Address<M> address) {
    static_assert(proto::Message<M>, "only a loop over protobuf messages can be reached remotely");
    if (address.is_remote() || !node_.expose(address)) return refused();
    return core_->register_name(std::move(name), address.handle(), {proto::type_name<M>()});
  }
  /// `co_await unregister_name(name)`: frees `name` if an actor of this
  /// node holds it (true), as its stopping would.
  Task<bool> unregister_name(std::string name) { return core_->unregister_name(std::move(name)); }

  /// `co_await lookup<A>(name)`: a ref to the actor registered as `name`
  /// anywhere in the cluster, its node connected (within `timeout`), or
  /// why not: kNotFound (no actor holds the name), kWrongType (it lacks a
  /// handler for a type in A's `messages`), kUnreachable (etcd could not
  /// be read, or its node not connected).
  template <class A>
  Task<remote::LookupResult<A>> lookup(std::string name,
                                       Duration timeout = std::chrono::seconds(5)) {
    auto record = co_await find_connected(name, proto::type_names(typename A::messages{}), timeout);
    if (!record) co_return remote::LookupResult<A>(unexpected(record.error()));
    ActorRef<A> ref = node_.ref<A>(record->node(), record->incarnation(), record->actor());
    if (!ref) {
      co_return remote::LookupResult<A>(remote::LookupError::kNotFound,
                                        "\"" + name + "\" is held by an actor that is gone");
    }
    co_return remote::LookupResult<A>(std::move(ref));
  }

  /// The same for a loop actor over protobuf messages M.
  template <class M>
  Task<remote::LookupResultOf<Address<M>>> lookup_address(
      std::string name, Duration timeout = std::chrono::seconds(5)) {
    static_assert(proto::Message<M>, "only a loop over protobuf messages can be reached remotely");
    using Result = remote::LookupResultOf<Address<M>>;
    std::vector<std::string> types{proto::type_name<M>()};
    auto record = co_await find_connected(name, std::move(types), timeout);
    if (!record) co_return Result(unexpected(record.error()));
    Address<M> address =
        node_.address_of<M>(record->node(), record->incarnation(), record->actor());
    if (!address) {
      co_return Result(remote::LookupError::kNotFound,
                       "\"" + name + "\" is held by an actor that is gone");
    }
    co_return Result(std::move(address));
  }

  /// `co_await identities(kind)`: the identities of `kind` that have an
  /// activation now, anywhere in the cluster (one read of etcd; empty if it
  /// cannot be read).
  Task<std::vector<std::string>> identities(std::string kind) {
    return core_->identities(std::move(kind));
  }

  /// Leaves the cluster: this node's virtual actors stop, then its lease
  /// is revoked, so that its member record, names and activations go at
  /// once (the others see it down). From outside the runtime; idempotent.
  void shutdown() { core_->shutdown(); }

 private:
  static Task<bool> refused() { co_return false; }
  // The record of `name` if its actor accepts every type in `types` and its
  // node is connected (within `timeout`), else why not.
  Task<Expected<v1::NamedActor, remote::LookupFailure>> find_connected(
      std::string name, std::vector<std::string> types, Duration timeout);

  remote::Node& node_;
  std::shared_ptr<detail::ClusterCore> core_;
};

}  // namespace troupe::cluster
