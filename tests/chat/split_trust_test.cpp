// A split chat server trusts only what it verified. Three nodes on loopback,
// each on its own ActorSystem: the rooms node (registry and rooms), the
// real connections node (with the clients), and an insider: a node that
// knows the cluster secret, so the handshake lets it in, and that tries to
// attach as the connections node (with a session of its own), to speak for
// a session of the connections node (a forged PRIVMSG "from alice"), or to
// write to a session it reaches there (sessions are published). What the
// clients see decides: the right user gets every real line, and no forged
// one reaches anybody. And the connections node's own messages name their
// senders as the tables do; a connections node that is gone can be
// replaced by the next one, its sessions out of the rooms and their nicks
// free.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/mailbox.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/socket_address.hpp>
#include <troupe/runtime/task.hpp>

#include "chat.pb.h"
#include "chat/events.hpp"
#include "chat/registry.hpp"
#include "chat/room.hpp"
#include "chat/server.hpp"
#include "test_client.hpp"

namespace chat_split_trust_test {

using namespace std::chrono_literals;
using chat::test::Ending;
using chat::test::kRanToTheEnd;
using chat::test::TestClient;
using troupe::SocketAddress;
using troupe::Task;

const std::string kTrustSecret = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

// Lines, from any thread.
struct Lines {
  std::mutex mutex;
  std::vector<std::string> lines;

  void add(std::string line) {
    std::lock_guard lock(mutex);
    lines.push_back(std::move(line));
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mutex);
    return lines;
  }
  std::size_t count(const std::string& needle) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }
};

// The reply to an ask, awaited on a runtime (block_on takes a Task).
template <class R>
Task<troupe::AskResult<R>> reply_of(troupe::AskFuture<R> future) {
  auto r = co_await std::move(future);
  co_return r;
}

// The loop of the insider's would-be session: records every event the
// rooms node sends it.
Task<void> record_events(std::shared_ptr<Lines> seen,
                         troupe::Mailbox<chat::v1::SessionEvent>& mailbox) {
  for (;;) {
    auto e = co_await mailbox.next();
    if (!e) co_return;
    seen->add(e->has_deliver() ? e->deliver().text() : std::string("<event>"));
  }
}

// The three nodes. The connections node listens too (the real one need
// not), so that the insider can also reach the sessions published there.
struct Cluster {
  Cluster()
      : rooms_node(rooms_system, {.listen = "127.0.0.1:0", .cluster_secret = kTrustSecret}),
        rooms(rooms_system, rooms_options()),
        connections_node(connections_system,
                         {.listen = "127.0.0.1:0", .cluster_secret = kTrustSecret}),
        connections(connections_system, connections_options()),
        insider_node(insider_system, {.cluster_secret = kTrustSecret}) {
    rooms.serve_rooms(rooms_node);
    attached = connections.use_rooms_at(connections_node, rooms_node.address(), 10s);
    if (!attached) return;
    auto bound = connections.start();
    if (bound) {
      address = *bound;
    } else {
      error = bound.error().message();
    }
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster() {
    connections.stop();
    rooms.stop();
    insider_node.shutdown();
    connections_node.shutdown();
    rooms_node.shutdown();
  }

  chat::ServerOptions rooms_options() {
    chat::ServerOptions o;
    o.log = [log = log](const std::string& line) { log->add(line); };
    return o;
  }
  chat::ServerOptions connections_options() {
    chat::ServerOptions o = rooms_options();
    o.port = 0;
    o.max_connections_per_address = 0;
    return o;
  }

  /// The id of the one session of the connections node named so far (the
  /// insider could guess it: ids are small numbers, given in order).
  std::optional<std::uint64_t> only_session() {
    std::optional<std::uint64_t> found;
    for (std::uint64_t id = 1; id < 10000; ++id) {
      if (connections_system.lookup_address<chat::v1::SessionEvent>("chat.session." +
                                                                    std::to_string(id))) {
        if (found) return std::nullopt;
        found = id;
      }
    }
    return found;
  }

  /// The insider's ref to an actor the rooms node publishes.
  template <class A>
  std::optional<troupe::ActorRef<A>> insider_lookup(const std::string& node,
                                                    const std::string& name) {
    auto ref = insider_system.block_on(insider_node.lookup<A>(node, name, 10s));
    if (!ref) return std::nullopt;
    return *ref;
  }

  /// True once the registry has handled everything the insider told it:
  /// an ask from the same node comes after those tells.
  bool registry_caught_up(const troupe::ActorRef<chat::Registry>& registry) {
    auto reply = insider_system.block_on(reply_of(registry.ask(chat::v1::ListChannels(), 10s)));
    return static_cast<bool>(reply);
  }

  std::shared_ptr<Lines> log = std::make_shared<Lines>();
  troupe::ActorSystem rooms_system{{.workers = 1}};
  troupe::ActorSystem connections_system{{.workers = 1}};
  troupe::ActorSystem insider_system{{.workers = 1}};
  troupe::remote::Node rooms_node;
  chat::ChatServer rooms;
  troupe::remote::Node connections_node;
  chat::ChatServer connections;
  troupe::remote::Node insider_node;
  bool attached = false;
  std::optional<SocketAddress> address;  // where the clients connect
  std::string error;                     // why not
};

chat::v1::User claimed_alice(std::uint64_t session) {
  chat::v1::User u;
  u.set_session(session);
  u.set_nick("alice");
  u.set_user("alice");
  u.set_host("127.0.0.1");
  u.set_realname("Test alice");
  return u;
}

// What a forger writes in `origin`: the real connections node. The rooms
// node overwrites it with the node the message came from.
template <class M>
void claim_connections_origin(M& m, const troupe::remote::Node& connections) {
  m.mutable_origin()->set_node(connections.name());
  m.mutable_origin()->set_incarnation(connections.incarnation());
}

bool any_contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines) {
    if (l.find(needle) != std::string::npos) return true;
  }
  return false;
}

// --- (1) an insider attaching as the connections node ------------------------------

// After the attempts: alice and bob connect to the real connections node;
// a private message and a channel line reach the right user there.
Task<Ending> private_message_after_takeover(SocketAddress addr) {
  auto alice = co_await TestClient::connect(addr);
  auto bob = co_await TestClient::connect(addr);
  CO_ASSERT(alice && bob);
  CO_ASSERT(co_await alice->register_as("alice"), << alice->dump());
  CO_ASSERT(co_await bob->register_as("bob"), << bob->dump());
  CO_ASSERT(co_await alice->send("PRIVMSG bob :for bob only"));
  auto got = co_await bob->expect("PRIVMSG bob :for bob only", 5s);
  CO_ASSERT(got, << "bob never got alice's private message:\n" << bob->dump());
  EXPECT_NE(got->find(":alice!alice@127.0.0.1 PRIVMSG bob :for bob only"), std::string::npos)
      << *got;
  // A channel: the room's fan-out to the sessions of the connections node.
  CO_ASSERT(co_await alice->join("#hub"), << alice->dump());
  CO_ASSERT(co_await bob->join("#hub"), << bob->dump());
  CO_ASSERT(co_await alice->send("PRIVMSG #hub :in the channel"));
  auto line = co_await bob->expect("PRIVMSG #hub :in the channel", 5s);
  CO_ASSERT(line, << bob->dump());
  co_return kRanToTheEnd;
}

TEST(SplitTrust, AnInsiderCannotAttachAsTheConnectionsNode) {
  Cluster c;
  ASSERT_TRUE(c.attached);
  ASSERT_TRUE(c.address) << c.error;
  // The insider's would-be session, published like a real one.
  auto seen = std::make_shared<Lines>();
  auto fake = c.insider_system.spawn_loop<chat::v1::SessionEvent>(
      [seen](troupe::Mailbox<chat::v1::SessionEvent>& mailbox) {
        return record_events(seen, mailbox);
      });
  ASSERT_TRUE(c.insider_node.publish("chat.session." + std::to_string(fake.id()), fake));
  auto registry = c.insider_lookup<chat::Registry>(c.rooms_node.address(), "chat.registry");
  ASSERT_TRUE(registry);

  // The insider names itself (a second connections node while one is
  // attached and connected), then the real connections node (its
  // incarnation, and the next one, as if it had restarted).
  chat::v1::ConnectionsAttached itself;
  itself.set_node(c.insider_node.name());
  itself.set_incarnation(c.insider_node.incarnation());
  chat::v1::ConnectionsAttached impostor;
  impostor.set_node(c.connections_node.name());
  impostor.set_incarnation(c.connections_node.incarnation());
  claim_connections_origin(impostor, c.connections_node);
  chat::v1::ConnectionsAttached restarted = impostor;
  restarted.set_incarnation(c.connections_node.incarnation() + 1);
  EXPECT_EQ(registry->tell(itself), troupe::TellStatus::kQueued);
  EXPECT_EQ(registry->tell(impostor), troupe::TellStatus::kQueued);
  EXPECT_EQ(registry->tell(restarted), troupe::TellStatus::kQueued);
  // Then acts as if attached: announces its session, which claims a nick
  // and joins the channel the real clients use.
  chat::v1::SessionOpened opened;
  opened.set_session(fake.id());
  opened.set_host("127.0.0.1");
  claim_connections_origin(opened, c.connections_node);
  chat::v1::ClaimNick claim;
  *claim.mutable_user() = claimed_alice(fake.id());
  claim_connections_origin(claim, c.connections_node);
  chat::v1::Join join;
  *join.mutable_user() = claimed_alice(fake.id());
  join.set_channel("#hub");
  claim_connections_origin(join, c.connections_node);
  EXPECT_EQ(registry->tell(opened), troupe::TellStatus::kQueued);
  auto claimed = c.insider_system.block_on(reply_of(registry->ask(claim, 10s)));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->status(), chat::v1::NickReply::IN_USE);
  EXPECT_EQ(registry->tell(join), troupe::TellStatus::kQueued);
  ASSERT_TRUE(c.registry_caught_up(*registry));

  // The real alice gets her nick, and the channel is the real clients'.
  EXPECT_TRUE(chat::test::ran_to_the_end(
      c.connections_system.block_on(private_message_after_takeover(*c.address))));
  EXPECT_EQ(seen->all(), std::vector<std::string>()) << "the insider's session got events";
  EXPECT_EQ(c.rooms.refused("ConnectionsAttached"), 3u);
  EXPECT_EQ(c.rooms.refused("SessionOpened"), 1u);
  EXPECT_EQ(c.rooms.refused("ClaimNick"), 1u);
  EXPECT_EQ(c.rooms.refused("Join"), 1u);
  // Logged once, however many.
  EXPECT_EQ(c.log->count("refused ConnectionsAttached"), 1u);
}

// --- (2) a forged Post ---------------------------------------------------------------

Task<Ending> alice_joins(TestClient& alice) {
  CO_ASSERT(co_await alice.register_as("alice"), << alice.dump());
  CO_ASSERT(co_await alice.join("#room"), << alice.dump());
  co_return kRanToTheEnd;
}

Task<Ending> bob_joins(TestClient& alice, TestClient& bob) {
  CO_ASSERT(co_await bob.register_as("bob"), << bob.dump());
  CO_ASSERT(co_await bob.join("#room"), << bob.dump());
  auto joined = co_await alice.expect(":bob!bob@127.0.0.1 JOIN #room", 5s);
  CO_ASSERT(joined, << alice.dump());
  co_return kRanToTheEnd;
}

// After the forgeries: alice's real lines reach bob, and nothing "from
// alice" came before them; alice is still in the room and still alice.
Task<Ending> real_lines_after_forgeries(TestClient& alice, TestClient& bob) {
  const std::size_t from = bob.log.size();
  CO_ASSERT(co_await alice.send("PRIVMSG bob :really from alice"));
  CO_ASSERT(co_await alice.send("PRIVMSG #room :alice in the room"));
  // Named first: g++ 12 miscompiles a braced list inside a co_await.
  std::vector<std::string> real = {":alice!alice@127.0.0.1 PRIVMSG bob :really from alice",
                                   ":alice!alice@127.0.0.1 PRIVMSG #room :alice in the room"};
  const bool both = co_await bob.expect_all(std::move(real), 5s);
  CO_ASSERT(both, << bob.dump());
  const std::vector<std::string> lines(bob.log.begin() + static_cast<std::ptrdiff_t>(from),
                                       bob.log.end());
  EXPECT_FALSE(any_contains(lines, "forged")) << bob.dump();
  EXPECT_FALSE(any_contains(bob.log, "forged")) << bob.dump();
  // Alice was neither removed from the room nor renamed.
  CO_ASSERT(co_await bob.send("PRIVMSG #room :bob answers"));
  auto answer = co_await alice.expect(":bob!bob@127.0.0.1 PRIVMSG #room :bob answers", 5s);
  CO_ASSERT(answer, << alice.dump());
  auto names = co_await alice.sync();
  CO_ASSERT(names);
  EXPECT_FALSE(any_contains(alice.log, "mallory")) << alice.dump();
  EXPECT_FALSE(any_contains(bob.log, "mallory")) << bob.dump();
  co_return kRanToTheEnd;
}

TEST(SplitTrust, AnInsiderCannotPostAsAnotherSession) {
  Cluster c;
  ASSERT_TRUE(c.attached);
  ASSERT_TRUE(c.address) << c.error;
  auto alice = c.connections_system.block_on(TestClient::connect(*c.address));
  ASSERT_TRUE(alice);
  ASSERT_TRUE(chat::test::ran_to_the_end(c.connections_system.block_on(alice_joins(*alice))));
  const auto alice_id = c.only_session();
  ASSERT_TRUE(alice_id);
  auto bob = c.connections_system.block_on(TestClient::connect(*c.address));
  ASSERT_TRUE(bob);
  ASSERT_TRUE(chat::test::ran_to_the_end(c.connections_system.block_on(bob_joins(*alice, *bob))));

  auto registry = c.insider_lookup<chat::Registry>(c.rooms_node.address(), "chat.registry");
  ASSERT_TRUE(registry);
  auto room = c.insider_lookup<chat::Room>(c.rooms_node.address(), "chat.room.1");
  ASSERT_TRUE(room);

  // "alice" says things: privately to bob and to the channel through the
  // registry, and straight to the room.
  chat::v1::Post to_bob;
  *to_bob.mutable_from() = claimed_alice(*alice_id);
  to_bob.set_target("bob");
  to_bob.set_text("forged private");
  claim_connections_origin(to_bob, c.connections_node);
  chat::v1::Post to_channel = to_bob;
  to_channel.set_target("#room");
  to_channel.set_text("forged via the registry");
  chat::v1::Post to_room = to_channel;
  to_room.set_text("forged to the room");
  EXPECT_EQ(registry->tell(to_bob), troupe::TellStatus::kQueued);
  EXPECT_EQ(registry->tell(to_channel), troupe::TellStatus::kQueued);
  EXPECT_EQ(room->tell(to_room), troupe::TellStatus::kQueued);
  // And tries to rename her, and to take her out of the room.
  chat::v1::ClaimNick rename;
  *rename.mutable_user() = claimed_alice(*alice_id);
  rename.mutable_user()->set_nick("mallory");
  claim_connections_origin(rename, c.connections_node);
  auto renamed = c.insider_system.block_on(reply_of(registry->ask(rename, 10s)));
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->status(), chat::v1::NickReply::IN_USE);
  chat::v1::NickChange room_rename;
  room_rename.set_session(*alice_id);
  room_rename.set_nick("mallory");
  auto room_renamed = c.insider_system.block_on(reply_of(room->ask(room_rename, 10s)));
  ASSERT_TRUE(room_renamed);
  EXPECT_EQ(room_renamed->sessions_size(), 0);
  chat::v1::Leave leave;
  leave.set_session(*alice_id);
  auto left = c.insider_system.block_on(reply_of(room->ask(leave, 10s)));  // after the tells too
  ASSERT_TRUE(left);
  EXPECT_EQ(left->sessions_size(), 0) << "the room told the insider who is in it";
  ASSERT_TRUE(c.registry_caught_up(*registry));

  EXPECT_TRUE(chat::test::ran_to_the_end(
      c.connections_system.block_on(real_lines_after_forgeries(*alice, *bob))));
  EXPECT_EQ(c.rooms.refused("Post"), 3u);
  EXPECT_EQ(c.rooms.refused("ClaimNick"), 1u);
  EXPECT_EQ(c.rooms.refused("NickChange"), 1u);
  EXPECT_EQ(c.rooms.refused("Leave"), 1u);
  EXPECT_EQ(c.log->count("refused Post"), 1u);
}

// --- (3) events written to a session of the connections node -----------------------

Task<Ending> bob_registers(TestClient& bob) {
  CO_ASSERT(co_await bob.register_as("bob"), << bob.dump());
  co_return kRanToTheEnd;
}

Task<Ending> alice_writes_to_bob(TestClient& bob, SocketAddress addr) {
  auto alice = co_await TestClient::connect(addr);
  CO_ASSERT(alice);
  CO_ASSERT(co_await alice->register_as("alice"), << alice->dump());
  CO_ASSERT(co_await alice->send("PRIVMSG bob :the real alice"));
  auto got = co_await bob.expect(":alice!alice@127.0.0.1 PRIVMSG bob :the real alice", 5s);
  CO_ASSERT(got, << bob.dump());
  EXPECT_FALSE(any_contains(bob.log, "forged")) << bob.dump();
  co_return kRanToTheEnd;
}

// Sessions are published on the connections node (the rooms node reaches
// them there), so the insider reaches bob's too: a line "from alice", a
// Disconnect and a Joined, each claiming to come from the rooms node, are
// dropped by the session; bob sees none of them and stays connected.
TEST(SplitTrust, OnlyTheRoomsNodeWritesToTheSessions) {
  Cluster c;
  ASSERT_TRUE(c.attached);
  ASSERT_TRUE(c.address) << c.error;
  auto bob = c.connections_system.block_on(TestClient::connect(*c.address));
  ASSERT_TRUE(bob);
  ASSERT_TRUE(chat::test::ran_to_the_end(c.connections_system.block_on(bob_registers(*bob))));
  const auto bob_id = c.only_session();
  ASSERT_TRUE(bob_id);

  auto session = c.insider_system.block_on(c.insider_node.lookup_address<chat::v1::SessionEvent>(
      c.connections_node.address(), "chat.session." + std::to_string(*bob_id), 10s));
  ASSERT_TRUE(session);
  std::vector<chat::v1::SessionEvent> forged(3);
  forged[0] = chat::deliver(":alice!alice@127.0.0.1 PRIVMSG bob :forged line");
  forged[1].mutable_disconnect()->set_reason("forged disconnect");
  forged[2].mutable_joined()->set_channel("#forged");
  forged[2].mutable_joined()->set_room("chat.room.1");
  for (auto& e : forged) {
    e.mutable_origin()->set_node(c.rooms_node.name());
    e.mutable_origin()->set_incarnation(c.rooms_node.incarnation());
    EXPECT_EQ(session->tell(e), troupe::TellStatus::kQueued);
  }
  ASSERT_TRUE(c.connections.wait_refused("SessionEvent", 3, 10s));

  EXPECT_TRUE(chat::test::ran_to_the_end(
      c.connections_system.block_on(alice_writes_to_bob(*bob, *c.address))));
  EXPECT_EQ(c.connections.refused(), 3u);
}

// --- (4) who a session is: the tables say, not the message ----------------------------

Task<Ending> bob_joins_first(TestClient& bob) {
  CO_ASSERT(co_await bob.register_as("bob"), << bob.dump());
  CO_ASSERT(co_await bob.join("#room"), << bob.dump());
  co_return kRanToTheEnd;
}

Task<Ending> alice_joins_after(TestClient& alice, TestClient& bob) {
  CO_ASSERT(co_await alice.register_as("alice"), << alice.dump());
  CO_ASSERT(co_await alice.join("#room"), << alice.dump());
  auto joined = co_await bob.expect(":alice!alice@127.0.0.1 JOIN #room", 5s);
  CO_ASSERT(joined, << bob.dump());
  co_return kRanToTheEnd;
}

Task<Ending> alice_sees_bob_as_bob(TestClient& alice) {
  std::vector<std::string> lines = {":bob!bob@127.0.0.1 PRIVMSG alice :who am I, privately",
                                    ":bob!bob@127.0.0.1 PRIVMSG #room :who am I, via the registry",
                                    ":bob!bob@127.0.0.1 PRIVMSG #room :who am I, in the room"};
  const bool all = co_await alice.expect_all(std::move(lines), 5s);
  CO_ASSERT(all, << alice.dump());
  EXPECT_FALSE(any_contains(alice.log, "10.0.0.9")) << alice.dump();
  EXPECT_FALSE(any_contains(alice.log, "injected")) << alice.dump();
  co_return kRanToTheEnd;
}

// The connections node speaks for its own sessions, but a User it writes
// names nobody: bob's session claiming to be alice (from another host)
// is shown as bob, by the registry and by the room alike; and a text that
// would make a line of its own is refused.
TEST(SplitTrust, ASendersNameComesFromTheTablesNotFromTheMessage) {
  Cluster c;
  ASSERT_TRUE(c.attached);
  ASSERT_TRUE(c.address) << c.error;
  auto bob = c.connections_system.block_on(TestClient::connect(*c.address));
  ASSERT_TRUE(bob);
  ASSERT_TRUE(chat::test::ran_to_the_end(c.connections_system.block_on(bob_joins_first(*bob))));
  const auto bob_id = c.only_session();
  ASSERT_TRUE(bob_id);
  auto alice = c.connections_system.block_on(TestClient::connect(*c.address));
  ASSERT_TRUE(alice);
  ASSERT_TRUE(
      chat::test::ran_to_the_end(c.connections_system.block_on(alice_joins_after(*alice, *bob))));

  auto registry = c.connections_system.block_on(
      c.connections_node.lookup<chat::Registry>(c.rooms_node.address(), "chat.registry", 10s));
  ASSERT_TRUE(registry);
  auto room = c.connections_system.block_on(
      c.connections_node.lookup<chat::Room>(c.rooms_node.address(), "chat.room.1", 10s));
  ASSERT_TRUE(room);
  // A text with a line break would write a line of its own, "from" anyone.
  chat::v1::Post injection;
  *injection.mutable_from() = claimed_alice(*bob_id);
  injection.set_target("alice");
  injection.set_text("hi\r\n:carol!carol@127.0.0.1 PRIVMSG alice :injected");
  EXPECT_EQ(registry->tell(injection), troupe::TellStatus::kQueued);
  injection.set_target("#room");
  EXPECT_EQ(room->tell(injection), troupe::TellStatus::kQueued);
  chat::v1::Post post;
  *post.mutable_from() = claimed_alice(*bob_id);
  post.mutable_from()->set_host("10.0.0.9");
  post.set_target("alice");
  post.set_text("who am I, privately");
  EXPECT_EQ(registry->tell(post), troupe::TellStatus::kQueued);
  post.set_target("#room");
  post.set_text("who am I, via the registry");
  EXPECT_EQ(registry->tell(post), troupe::TellStatus::kQueued);
  post.set_text("who am I, in the room");
  EXPECT_EQ(room->tell(post), troupe::TellStatus::kQueued);

  EXPECT_TRUE(
      chat::test::ran_to_the_end(c.connections_system.block_on(alice_sees_bob_as_bob(*alice))));
  EXPECT_EQ(c.rooms.refused("Post"), 2u);  // the line breaks
  EXPECT_EQ(c.rooms.refused(), 2u);
}

// --- (5) a connections node that is gone can be replaced ------------------------------

// Another connections node: its own system, node and server.
struct OtherConnections {
  explicit OtherConnections(const std::string& rooms_address, std::shared_ptr<Lines> log)
      : node(system, {.cluster_secret = kTrustSecret}), server(system, options(std::move(log))) {
    attached = server.use_rooms_at(node, rooms_address, 10s);
    if (!attached) return;
    if (auto bound = server.start()) address = *bound;
  }
  OtherConnections(const OtherConnections&) = delete;
  OtherConnections& operator=(const OtherConnections&) = delete;
  ~OtherConnections() {
    server.stop();
    node.shutdown();
  }
  static chat::ServerOptions options(std::shared_ptr<Lines> log) {
    chat::ServerOptions o;
    o.port = 0;
    o.max_connections_per_address = 0;
    o.log = [log = std::move(log)](const std::string& line) { log->add(line); };
    return o;
  }

  troupe::ActorSystem system{{.workers = 1}};
  troupe::remote::Node node;
  chat::ChatServer server;
  bool attached = false;  // its lookup of the registry answered (not: accepted)
  std::optional<SocketAddress> address;
};

TEST(SplitTrust, AConnectionsNodeThatIsGoneIsReplacedByTheNextOne) {
  Cluster c;
  ASSERT_TRUE(c.attached);
  {
    // While the first one is attached, a second one is refused (and the
    // first one's clients keep chatting: test (1)).
    OtherConnections early(c.rooms_node.address(), c.log);
    ASSERT_TRUE(early.attached);
    ASSERT_TRUE(c.rooms.wait_refused("ConnectionsAttached", 1, 10s));
  }
  // The first one goes; once the rooms node has seen it go, the next one
  // attaches and its clients chat.
  const std::string first = c.connections_node.name();
  c.connections.stop();
  c.connections_node.shutdown();
  ASSERT_TRUE(c.rooms_system.block_on(c.rooms_node.wait_gone(first, 10s)))
      << "the rooms node still holds a connection to " << first;
  OtherConnections next(c.rooms_node.address(), c.log);
  ASSERT_TRUE(next.attached);
  ASSERT_TRUE(next.address);
  EXPECT_TRUE(chat::test::ran_to_the_end(
      next.system.block_on(private_message_after_takeover(*next.address))));
  EXPECT_EQ(c.rooms.refused("ConnectionsAttached"), 1u);
  // Nothing else, but the refused node's goodbye: its ServerClosing, refused
  // too, if it left before its node closed the connection.
  EXPECT_EQ(c.rooms.refused() - c.rooms.refused("ServerClosing"), 1u);
}

// --- (6) a connections node lost with its sessions ---------------------------------

Task<Ending> alice_in_the_room(TestClient& alice) {
  CO_ASSERT(co_await alice.register_as("alice"), << alice.dump());
  CO_ASSERT(co_await alice.join("#room"), << alice.dump());
  co_return kRanToTheEnd;
}

// On the next connections node: the nick is free, and the channel has no
// one of the lost node left in it (the NAMES reply lists only bob, whose
// session id is not the lost alice's: a Join under her id would replace
// her anyway).
Task<Ending> alice_again_and_bob(SocketAddress addr) {
  auto alice = co_await TestClient::connect(addr);
  CO_ASSERT(alice);
  CO_ASSERT(co_await alice->register_as("alice"), << alice->dump());
  auto bob = co_await TestClient::connect(addr);
  CO_ASSERT(bob);
  CO_ASSERT(co_await bob->register_as("bob"), << bob->dump());
  CO_ASSERT(co_await bob->send("JOIN #room"));
  auto names = co_await bob->expect(" 353 bob ", 5s);
  CO_ASSERT(names, << bob->dump());
  EXPECT_EQ(names->substr(names->find(" :") + 2), "bob") << bob->dump();
  co_return kRanToTheEnd;
}

// The registry and the rooms monitor the sessions of the connections node:
// when that node is lost (no goodbye from any session), its sessions leave
// the rooms and free their nicks.
TEST(SplitTrust, ALostConnectionsNodesSessionsLeaveTheRoomsAndFreeTheirNicks) {
  Cluster c;
  ASSERT_TRUE(c.attached);
  ASSERT_TRUE(c.address) << c.error;
  auto alice = c.connections_system.block_on(TestClient::connect(*c.address));
  ASSERT_TRUE(alice);
  ASSERT_TRUE(chat::test::ran_to_the_end(c.connections_system.block_on(alice_in_the_room(*alice))));
  const std::string first = c.connections_node.name();
  c.connections_node.shutdown();  // the sessions stay, cut off from the rooms
  ASSERT_TRUE(c.rooms_system.block_on(c.rooms_node.wait_gone(first, 10s)))
      << "the rooms node still holds a connection to " << first;
  OtherConnections next(c.rooms_node.address(), c.log);
  ASSERT_TRUE(next.attached);
  ASSERT_TRUE(next.address);
  EXPECT_TRUE(chat::test::ran_to_the_end(next.system.block_on(alice_again_and_bob(*next.address))));
  EXPECT_EQ(c.rooms.refused(), 0u);
  alice.reset();  // its session ends, before the cluster goes
}

}  // namespace chat_split_trust_test
