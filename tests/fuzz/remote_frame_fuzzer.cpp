// libFuzzer target: what a node reads from a peer's gRPC stream, before and
// after the secret handshake. The input is the peer's side of the stream
// (gRPC-framed Frames); it is played twice into a fresh node, once with
// the node accepting and once with it dialing, through the real Connection
// (handshake, reader, writer) and NodeCore::dispatch into a published
// actor, node requests (Lookup, Monitor, Down) and replies to the node's
// own asks. No peer may get in without the secret; nothing may crash,
// leak or hang.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/proto/any_ref.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/remote/detail/connection.hpp>
#include <troupe/remote/detail/node_core.hpp>
#include <troupe/remote/detail/peer.hpp>
#include <troupe/remote/detail/remote_actor.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "fuzz_actor.hpp"
#include "fuzz_check.hpp"
#include "peer_frames.hpp"
#include "remote_fixture.hpp"
#include "scripted_stream.hpp"

namespace {

using troupe::Task;
using troupe::remote::detail::Connection;
using troupe::remote::detail::NodeCore;
using troupe::remote::detail::Peer;
namespace fuzz = troupe::fuzz;
namespace v1 = troupe::v1;

// Gets the Downs of the peer's actor it monitors.
struct Watcher : troupe::Actor<Watcher> {
  void handle(const troupe::Down&) {}
};

troupe::ActorSystemOptions system_options() {
  troupe::ActorSystemOptions o;
  // A handler that throws restarts the published actor, so that it serves
  // the whole input (an input is far fewer envelopes than this).
  o.top_level = troupe::SupervisorStrategy::one_for_one(1 << 20);
  return o;
}

troupe::remote::NodeOptions node_options() {
  troupe::remote::NodeOptions o;
  o.name = std::string(fuzz::kNodeName);
  o.cluster_secret = std::string(fuzz::kClusterSecret);
  o.log = [](const std::string&) {};
  return o;
}

// A node as troupe::remote::Node sets one up, without its gRPC server and
// dialers, on the target's executor: fresh for each run of an input, so
// that runs do not depend on each other (actor ids and correlation ids
// count from the start).
class NodeUnderTest {
 public:
  explicit NodeUnderTest(troupe::TestExecutor& executor)
      : system_(executor, system_options()),
        core_(std::make_shared<NodeCore>(system_, node_options())) {
    core_->set_name(std::string(fuzz::kNodeName));
    core_->start_agent();
    published_ = system_.spawn<fuzz::FuzzActor>();
    FUZZ_CHECK(published_.id() == fuzz::kPublishedActor, "the seeds know the published actor's id");
    FUZZ_CHECK(system_.register_name(std::string(fuzz::kPublishedName), published_),
               "a fresh system has the name free");
    core_->add_export(published_.id(), troupe::proto::AnyRef(published_));
    published_.cell()->add_monitor(*core_->agent_cell());
    watcher_ = system_.spawn<Watcher>();
  }
  NodeUnderTest(const NodeUnderTest&) = delete;
  NodeUnderTest& operator=(const NodeUnderTest&) = delete;

  /// As Node::shutdown: streams closed, waiters woken, the outbox dropped.
  void shutdown() {
    core_->close_streams();
    core_->stop_agent();
    for (auto& p : core_->all_peers()) p->drain_outbox();
  }

  const std::shared_ptr<NodeCore>& core() const noexcept { return core_; }
  const troupe::ActorRef<Watcher>& watcher() const noexcept { return watcher_; }

 private:
  troupe::ActorSystem system_;
  std::shared_ptr<NodeCore> core_;
  troupe::ActorRef<fuzz::FuzzActor> published_;
  troupe::ActorRef<Watcher> watcher_;
};

// What the node's own users do with the peer once it is up: a Lookup (as
// Node::lookup sends it), an ask and a monitor (as a ref to a remote actor does), so
// that the peer's REPLY, FAILURE and Down envelopes have someone waiting.
Task<void> use_peer(std::shared_ptr<Peer> peer, troupe::ActorRef<Watcher> watcher) {
  auto up = peer->when(Peer::Wait::kUp);
  const std::optional<bool> is_up = co_await up.next();
  if (!is_up.value_or(false)) co_return;
  const std::uint64_t incarnation = peer->incarnation();
  v1::Lookup lookup;
  lookup.set_name(std::string(fuzz::kPublishedName));
  lookup.add_message_types("fuzzing.Tree");
  v1::Envelope e = troupe::proto::encode(lookup, v1::Envelope::ASK);
  e.mutable_target()->set_node(incarnation);
  auto found = peer->ask<v1::LookupReply>(std::move(e), incarnation, fuzz::kAskTimeout);
  troupe::ActorRef<fuzz::FuzzActor> remote(troupe::detail::RemotePtr::adopt(
      new troupe::remote::detail::RemoteActor(peer, incarnation, fuzz::kRemoteActor)));
  auto summary = remote.ask(fuzzing::Tree{}, fuzz::kAskTimeout);
  remote.monitor(watcher);
  (void)co_await std::move(found);
  (void)co_await std::move(summary);
}

// One run of the input: the node in `role`, the input as its peer.
Connection::Outcome play(troupe::TestExecutor& executor, std::string_view wire,
                         Connection::Role role) {
  const bool dials = role == Connection::Role::kDialer;
  NodeUnderTest node(executor);
  const auto& core = node.core();
  auto connection =
      std::make_shared<Connection>(core, role, dials ? std::string(fuzz::kPeerName) : "");
  fuzz::ScriptedStream stream(*connection, wire, core->options().max_frame_bytes, dials);
  connection->bind(stream);
  // As the Dialer or the ClusterService do before running a connection.
  FUZZ_CHECK(core->open_stream(connection), "the node is not shutting down");
  if (dials) {
    FUZZ_CHECK(core->peer(std::string(fuzz::kPeerName))->begin_dial(*connection),
               "a fresh node holds no connection to its peer");
  }
  auto user = executor.spawn(use_peer(core->peer(std::string(fuzz::kPeerName)), node.watcher()));
  const Connection::Outcome outcome = executor.block_on(connection->run());
  FUZZ_CHECK(!outcome.was_up || stream.vouched(), "no peer gets in without the cluster secret");
  FUZZ_CHECK(!outcome.was_up || !dials || stream.welcomed(),
             "a dialing node is up only once welcomed");
  if (!dials && !stream.vouched()) {
    for (const auto& peer : core->all_peers()) {
      FUZZ_CHECK(peer->name() == fuzz::kPeerName,
                 "a peer that did not prove the secret leaves nothing behind");
    }
  }
  node.shutdown();
  executor.run_until_idle();
  FUZZ_CHECK(user.is_finished(), "the node's users are let go when it shuts down");
  return outcome;
}

troupe::TestExecutor& executor() {
  static troupe::TestExecutor e;
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a string field is logged by protobuf on every parse.
  google::protobuf::SetLogHandler(nullptr);
  const std::string handshake = fuzz::stream({fuzz::hello(), fuzz::proof()});
  for (auto role : {Connection::Role::kAcceptor, Connection::Role::kDialer}) {
    FUZZ_CHECK(play(executor(), handshake, role).was_up,
               "a peer that knows the secret gets in (else the seeds stop at the handshake)");
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  troupe::TestExecutor& ex = executor();
  play(ex, wire, Connection::Role::kAcceptor);
  play(ex, wire, Connection::Role::kDialer);
  FUZZ_CHECK(ex.live_tasks() == 0 && ex.pending_timers() == 0,
             "nothing of the input is left running or waiting");
  return 0;
}
