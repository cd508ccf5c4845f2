#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
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
#include <troupe/remote/node_options.hpp>
#include <troupe/runtime/clock.hpp>
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
/// actors other nodes publish (the same type as a local actor's ref). Between two nodes there is
/// one gRPC stream (bidirectional, long-lived) carrying batches of protobuf envelopes.
///
///   troupe::remote::Node node(system, {.listen = "0.0.0.0:7001",
///                                      .seeds = {"10.0.0.2:7001"},
///                                      .cluster_secret = secret});
///   node.publish("bank", bank_ref);
///   auto bank = co_await node.lookup<Bank>("10.0.0.2:7001", "bank");
///   if (bank) co_await bank->ask(deposit, 1s);
///
/// Borrows the system, which must outlive it and run on a Runtime.
/// Thread-safe, except shutdown (once, from outside the runtime, before
/// the system shuts down; the destructor calls it).
class Node {
 public:
  /// Starts listening (throws std::runtime_error if the address cannot be
  /// bound) and dialing the seeds.
  Node(ActorSystem& system, NodeOptions options);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();

  /// How peers know this node (see NodeOptions::name).
  const std::string& name() const noexcept { return core_->name(); }
  /// Random per start: peers tell this run of the node from earlier ones.
  std::uint64_t incarnation() const noexcept { return core_->incarnation(); }
  /// The address it listens on as bound (the port filled in); empty if
  /// it does not listen.
  const std::string& address() const noexcept { return address_; }

  /// Makes `ref` reachable from other nodes as `name` (registered in the
  /// system's registry too; freed when the actor stops). A's `messages`
  /// list says what the other nodes may send it. False if the name is
  /// taken by another actor.
  template <class A>
  bool publish(const std::string& name, const ActorRef<A>& ref) {
    if (!core_->system().register_name(name, ref) && core_->system().lookup<A>(name) != ref) {
      return false;
    }
    core_->add_export(ref.id(), proto::AnyRef(ref));
    ref.cell()->add_monitor(*core_->agent_cell());  // unpublished when it stops
    return true;
  }

  /// `co_await lookup<A>(node, name)`: a ref to the actor `node` publishes
  /// as `name`, dialing `node` (an address) first if it is not connected.
  /// Errors: kUnreachable (no connection within the timeout), kDeadActor
  /// (nothing published under that name), kBadMessage (the actor there
  /// lacks a handler for a type in A's `messages`), kTimeout.
  template <class A>
  Task<AskResult<ActorRef<A>>> lookup(std::string node, std::string name,
                                      Duration timeout = std::chrono::seconds(5));

  /// A ref to actor `id` on `node`, bound to `incarnation`: for an actor
  /// address that came in a message, no round trip. Unchecked: the sender
  /// vouches that the actor is of class A and published there (else the
  /// messages are dead letters on that node). An address of this node
  /// gives the local actor's ref if it is published here and of this run;
  /// else an empty ref.
  template <class A>
  ActorRef<A> ref(std::string_view node, std::uint64_t incarnation, ActorId id) {
    check_remote<A>();
    if (node == name()) {
      // This node: its published actor, or nothing (an earlier run's actor
      // is gone with that run).
      if (incarnation != this->incarnation()) return ActorRef<A>();
      return ActorRef<A>(core_->find_export(id).template cell_of<A>());
    }
    return ActorRef<A>(troupe::detail::RemotePtr::adopt(
        new detail::RemoteActor(core_->peer(std::string(node)), incarnation, id)));
  }

  /// Dials `address` (and keeps redialing it), like a seed.
  void connect(const std::string& address);
  /// `co_await wait_for(node, timeout)`: true once `node` is connected.
  Task<bool> wait_for(std::string node, Duration timeout);
  /// The names of the nodes connected now.
  std::vector<std::string> peers() const { return core_->connected_peers(); }
  /// How many nodes this one keeps state for: connected, being dialed, or
  /// held by a ref. Bounded by the real peers, never by what strangers say.
  std::size_t known_peers() const { return core_->all_peers().size(); }

  /// Closes every stream (pending asks fail, queued envelopes become dead
  /// letters), stops dialing and listening. Idempotent.
  void shutdown();

 private:
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
  template <class... Ts>
  static void add_types(v1::Lookup& request, proto::Messages<Ts...>) {
    (request.add_message_types(proto::type_name<Ts>()), ...);
  }
  static AskResult<v1::LookupReply> no_reply(AskError e, const std::string& why);

  std::shared_ptr<detail::NodeCore> core_;
  std::unique_ptr<detail::ClusterService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::mutex dialers_mutex_;
  std::vector<std::unique_ptr<detail::Dialer>> dialers_;
  bool shut_down_ = false;
};

template <class A>
Task<AskResult<ActorRef<A>>> Node::lookup(std::string node, std::string name, Duration timeout) {
  check_remote<A>();
  using Result = AskResult<ActorRef<A>>;
  auto peer = core_->peer(node);
  if (!peer->is_up()) {
    connect(node);
    const bool up = co_await wait_for(node, timeout);
    if (!up) {
      auto r = no_reply(AskError::kUnreachable, "node " + node + " is not connected");
      co_return Result::error(r.error(), r.cause());
    }
  }
  v1::Lookup request;
  request.set_name(name);
  add_types(request, typename A::messages{});
  const std::uint64_t incarnation = peer->incarnation();
  v1::Envelope e = proto::encode(request, v1::Envelope::ASK);
  e.mutable_target()->set_node(incarnation);
  e.mutable_sender()->set_node(core_->incarnation());
  AskResult<v1::LookupReply> reply =
      co_await peer->template ask<v1::LookupReply>(std::move(e), incarnation, timeout);
  if (!reply) co_return Result::error(reply.error(), reply.cause());
  switch (reply->status()) {
    case v1::LookupReply::FOUND:
      co_return Result(ActorRef<A>(troupe::detail::RemotePtr::adopt(
          new detail::RemoteActor(peer, incarnation, reply->actor()))));
    case v1::LookupReply::WRONG_TYPE: {
      auto r = no_reply(AskError::kBadMessage, reply->detail());
      co_return Result::error(r.error(), r.cause());
    }
    default: {
      auto r = no_reply(AskError::kDeadActor, reply->detail());
      co_return Result::error(r.error(), r.cause());
    }
  }
}

}  // namespace troupe::remote
