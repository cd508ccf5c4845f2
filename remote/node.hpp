#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/ask_result.hpp>
#include <troupe/proto/any_ref.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/remote/detail/node_core.hpp>
#include <troupe/remote/detail/peer.hpp>
#include <troupe/remote/detail/remote_actor.hpp>
#include <troupe/remote/lookup_result.hpp>
#include <troupe/remote/node_options.hpp>
#include <troupe/remote/peer_stats.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/v1/cluster.pb.h>

namespace grpc {
class Server;
}

namespace troupe::remote {

namespace detail {
class ClusterService;
class Dialer;
}  // namespace detail

/// An ActorSystem's presence on the network: it listens for other nodes,
/// dials its seeds, publishes actors by name, and gives ActorRefs to the
/// actors other nodes publish (the same type as a local actor's ref).
/// Between two nodes there is one long-lived stream (TCP, or gRPC:
/// NodeOptions::transport) carrying batches of protobuf envelopes.
///
///   troupe::remote::Node node(system, {.listen = "0.0.0.0:7001",
///                                      .seeds = {"10.0.0.2:7001"},
///                                      .cluster_secret = secret});
///   node.publish("bank", bank_ref);
///   auto bank = co_await node.lookup<Bank>("10.0.0.2:7001", "bank");
///   if (bank) co_await bank->ask(deposit, 1s);
///
/// Borrows the system, which must outlive it and run on a Runtime (or, with
/// NodeOptions::network set to a SimNetwork, on a simulation's scheduler).
/// Thread-safe, except shutdown (once, from outside the runtime, or from
/// the thread that drives a simulation, before the system shuts down; the
/// destructor calls it).
class Node {
 public:
  /// Starts listening (throws std::runtime_error if the address cannot be
  /// bound) and dialing the seeds.
  Node(ActorSystem& system, NodeOptions options);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();

  /// The actor system it carries messages for.
  ActorSystem& system() const noexcept { return core_->system(); }
  /// How peers know this node (see NodeOptions::name).
  const std::string& name() const noexcept { return core_->name(); }
  /// Random per start: peers tell this run of the node from earlier ones.
  std::uint64_t incarnation() const noexcept { return core_->incarnation(); }
  /// The address it listens on as bound (the port filled in); empty if
  /// it does not listen.
  const std::string& address() const noexcept { return address_; }

  /// Makes `ref` (a local actor) reachable from other nodes as `name`
  /// (registered in the system's registry too; freed when the actor
  /// stops). A's `messages` list says what the other nodes may send it.
  /// False if the name is taken by another actor, or `ref` is remote.
  template <class A>
  bool publish(const std::string& name, const ActorRef<A>& ref) {
    const bool named =
        core_->system().register_name(name, ref) || core_->system().lookup<A>(name) == ref;
    return named && publish_handle(ref.handle(), proto::AnyRef(ref));
  }
  /// The same for a loop actor over protobuf messages M.
  template <class M>
  bool publish(const std::string& name, const Address<M>& address) {
    const bool named = core_->system().register_name(name, address) ||
                       core_->system().template lookup_address<M>(name) == address;
    return named && publish_handle(address.handle(), proto::AnyRef(address));
  }

  /// Makes `ref` (a local actor) reachable from other nodes by its id,
  /// without a name: for refs that travel in messages or in a directory
  /// such as a cluster's (Node::ref makes them on the other side). False
  /// if `ref` is remote or empty.
  template <class A>
  bool expose(const ActorRef<A>& ref) {
    return publish_handle(ref.handle(), proto::AnyRef(ref));
  }
  /// The same for a loop actor over protobuf messages M.
  template <class M>
  bool expose(const Address<M>& address) {
    return publish_handle(address.handle(), proto::AnyRef(address));
  }

  /// `co_await lookup<A>(node, name)`: a ref to the actor `node` publishes
  /// as `name`, dialing `node` (an address) first if it is not connected.
  /// Or why not (a LookupError, and detail() saying it with the node and
  /// name): kUnreachable (no connection within the timeout, or it was lost),
  /// kNotFound (nothing published under that name), kWrongType (the actor
  /// there lacks a handler for a type in A's `messages`), kTimeout (no
  /// answer within the timeout), kBadReply (an answer that made no sense).
  template <class A>
  Task<LookupResult<A>> lookup(std::string node, std::string name,
                               Duration timeout = std::chrono::seconds(5)) {
    check_remote<A>();
    return lookup_handle<ActorRef<A>>(std::move(node), std::move(name), timeout,
                                      proto::type_names(typename A::messages{}));
  }
  /// The same for a loop actor over protobuf messages M.
  template <class M>
  Task<LookupResultOf<Address<M>>> lookup_address(std::string node, std::string name,
                                                  Duration timeout = std::chrono::seconds(5)) {
    static_assert(proto::Message<M>, "only a loop over protobuf messages can be reached remotely");
    return lookup_handle<Address<M>>(std::move(node), std::move(name), timeout,
                                     {proto::type_name<M>()});
  }

  /// A ref to actor `id` on `node`, bound to `incarnation`: for an actor
  /// address that came in a message, no round trip. Unchecked: the sender
  /// vouches that the actor is of class A and published there (else the
  /// messages are dead letters on that node). An address of this node
  /// gives the local actor's ref if it is published here and of this run;
  /// else an empty ref.
  template <class A>
  ActorRef<A> ref(std::string_view node, std::uint64_t incarnation, ActorId id) {
    check_remote<A>();
    return ActorRef<A>(handle_at(node, incarnation, id, [](const proto::AnyRef& published) {
      return published.template cell_of<A>();
    }));
  }
  /// The same for a loop actor over protobuf messages M.
  template <class M>
  Address<M> address_of(std::string_view node, std::uint64_t incarnation, ActorId id) {
    static_assert(proto::Message<M>, "only a loop over protobuf messages can be reached remotely");
    return Address<M>(handle_at(node, incarnation, id, [](const proto::AnyRef& published) {
      return published.template loop_cell_of<M>();
    }));
  }

  /// Dials `address` (and keeps redialing it), like a seed.
  void connect(const std::string& address);
  /// Stops dialing `node` and ends the connection to it as a lost one:
  /// monitors of its actors get Down (kNodeDown), pending asks fail with
  /// kUnreachable. For a membership service that saw the node leave or
  /// die. It may dial this node again, or be connected again.
  void disconnect(const std::string& node);
  /// `co_await wait_for(node, timeout)`: true once `node` is connected.
  Task<bool> wait_for(std::string node, Duration timeout);
  /// `co_await wait_gone(node, timeout)`: true once no connection to
  /// `node` is up or being made (at once if there is none): after a node
  /// leaves, when this one has seen it go.
  Task<bool> wait_gone(std::string node, Duration timeout);
  /// The names of the nodes connected now.
  std::vector<std::string> peers() const { return core_->connected_peers(); }
  /// How many nodes this one keeps state for: connected, being dialed, or
  /// held by a ref. Bounded by the real peers, never by what strangers say.
  std::size_t known_peers() const { return core_->all_peers().size(); }
  /// Every known peer's traffic and state now, for metrics (the metrics
  /// module's MetricsServer reads it on each scrape). Thread-safe.
  std::vector<PeerStats> peer_stats() const;

  /// Closes every stream (pending asks fail, queued envelopes become dead
  /// letters), stops dialing and listening. Idempotent.
  void shutdown();

 private:
  // Actor `id` on `node`: the cell `local` finds among this node's
  // published actors when `node` is this one (and of this run), else the
  // way to it over the network.
  template <class Local>
  troupe::detail::ActorHandle handle_at(std::string_view node, std::uint64_t incarnation,
                                        ActorId id, Local local) {
    if (node == name()) {
      // An earlier run's actor is gone with that run.
      if (incarnation != this->incarnation()) return {};
      return troupe::detail::ActorHandle(local(core_->find_export(id)));
    }
    return troupe::detail::ActorHandle(troupe::detail::RemotePtr::adopt(
        new detail::RemoteActor(core_->peer(std::string(node)), incarnation, id)));
  }
  bool publish_handle(const troupe::detail::ActorHandle& handle, proto::AnyRef published) {
    auto* cell = handle.cell();
    if (!cell) return false;
    core_->add_export(handle.id(), std::move(published));
    cell->add_monitor(*core_->agent_cell());  // unpublished when it stops
    return true;
  }
  // A ref to another node's actor carries protobuf envelopes: the class
  // must list what it accepts.
  template <class A>
  static constexpr void check_remote() {
    static_assert(
        requires { typename A::messages; },
        "an actor reached from another node lists its protobuf messages: "
        "`using messages = troupe::proto::Messages<...>;`");
    if constexpr (requires { typename A::messages; }) {
      static_assert(all_protobuf(typename A::messages{}),
                    "only protobuf messages cross nodes: every type in the actor's `messages` "
                    "must be generated from a .proto file");
    }
  }
  template <class... Ts>
  static constexpr bool all_protobuf(proto::Messages<Ts...>) {
    return (proto::Message<Ts> && ...);
  }
  // True once `peer` is in state `what` (see Peer::when), false after
  // `timeout` or when the node shuts down.
  static Task<bool> wait_until(std::shared_ptr<detail::Peer> peer, detail::Peer::Wait what,
                               Duration timeout);
  // The lookup itself: the actor published as `name` on `node` must accept
  // every type in `types`.
  template <class H>
  Task<LookupResultOf<H>> lookup_handle(std::string node, std::string name, Duration timeout,
                                        std::vector<std::string> types);
  // Why a lookup on `node` found no actor: its ask failed, or the reply
  // says so.
  static LookupFailure no_reply(const std::string& node, const AskResult<v1::LookupReply>& reply);

  std::shared_ptr<detail::NodeCore> core_;
  std::unique_ptr<detail::ClusterService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::optional<JoinHandle<void>> acceptor_;  // the TCP transport's accept loop
  std::string address_;
  std::mutex dialers_mutex_;
  std::vector<std::unique_ptr<detail::Dialer>> dialers_;
  std::vector<std::unique_ptr<detail::Dialer>> stopped_dialers_;  // joined at shutdown
  bool shut_down_ = false;
};

template <class H>
Task<LookupResultOf<H>> Node::lookup_handle(std::string node, std::string name, Duration timeout,
                                            std::vector<std::string> types) {
  auto peer = core_->peer(node);
  if (!peer->is_up()) {
    connect(node);
    const bool up = co_await wait_for(node, timeout);
    if (!up)
      co_return LookupResultOf<H>(LookupError::kUnreachable, "node " + node + " is not connected");
  }
  v1::Lookup request;
  request.set_name(name);
  for (auto& type : types) request.add_message_types(std::move(type));
  const std::uint64_t incarnation = peer->incarnation();
  v1::Envelope e = proto::encode(request, v1::Envelope::ASK);
  e.mutable_target()->set_node(incarnation);
  e.mutable_sender()->set_node(core_->incarnation());
  AskResult<v1::LookupReply> reply =
      co_await peer->template ask<v1::LookupReply>(std::move(e), incarnation, timeout);
  if (!reply || reply->status() != v1::LookupReply::FOUND) {
    co_return LookupResultOf<H>(unexpected(no_reply(node, reply)));
  }
  co_return LookupResultOf<H>(H(troupe::detail::ActorHandle(troupe::detail::RemotePtr::adopt(
      new detail::RemoteActor(peer, incarnation, reply->actor())))));
}

}  // namespace troupe::remote
