// The chat server's limits on idle and surplus connections, end to end:
// the registration timeout, the server's PINGs and their timeout, and the
// per-address connection limit. Real TCP clients on loopback; every wait
// is for a line the server must send, with a bounded read; the short
// timeouts of the server are checked against generous bounds only.

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/socket_address.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

#include "chat/context.hpp"
#include "chat/server.hpp"
#include "test_client.hpp"

// Named, not anonymous: these files are compiled together (unity batches),
// and the other chat tests have helpers of their own.
namespace chat_timeouts_test {

using namespace std::chrono_literals;
using chat::test::Ending;
using chat::test::kRanToTheEnd;
using chat::test::TestClient;
using troupe::SocketAddress;
using troupe::Task;

// Runs `scenario(address)` against a fresh server with `options`.
// Success if the scenario ran to its end (each TEST asserts it).
::testing::AssertionResult run_with(chat::ServerOptions options,
                                    Task<Ending> (*scenario)(SocketAddress)) {
  options.port = 0;
  troupe::ActorSystem system({.workers = 2});
  chat::ChatServer server(system, options);
  auto address = server.start();
  if (!address) return ::testing::AssertionFailure() << address.error().message();
  return chat::test::ran_to_the_end(system.block_on(scenario(*address)));
}

std::chrono::milliseconds since(troupe::Instant start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(troupe::Clock::now() - start);
}

// --- registration ------------------------------------------------------------

constexpr auto kRegisterTimeout = 300ms;

Task<Ending> unregistered_connection_is_closed(SocketAddress addr) {
  // Registers first, so that its own deadline has passed by the time the
  // silent one's has.
  auto quick = co_await TestClient::connect(addr);
  CO_ASSERT(quick);
  CO_ASSERT(co_await quick->register_as("quick"), << quick->dump());

  const troupe::Instant start = troupe::Clock::now();
  auto silent = co_await TestClient::connect(addr);
  CO_ASSERT(silent);
  auto error = co_await silent->expect("ERROR :Closing Link: 127.0.0.1 (Registration timed out)");
  CO_ASSERT(error, << silent->dump());
  EXPECT_GE(since(start), kRegisterTimeout);
  EXPECT_LT(since(start), 8s);
  EXPECT_TRUE(co_await silent->closed()) << silent->dump();

  // Past its registration deadline and still answered.
  auto lines = co_await quick->sync();
  EXPECT_TRUE(lines) << quick->dump();
  for (const auto& l : quick->log) EXPECT_EQ(l.find("ERROR"), std::string::npos) << l;
  co_return kRanToTheEnd;
}

TEST(ChatIdleTimeouts, AnUnregisteredConnectionIsClosedAndARegisteredOneIsNot) {
  chat::ServerOptions o;
  o.register_timeout = kRegisterTimeout;
  EXPECT_TRUE(run_with(o, unregistered_connection_is_closed));
}

Task<Ending> half_registered_connection_is_closed(SocketAddress addr) {
  // A NICK alone is not a registration.
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(c);
  CO_ASSERT(co_await c->send("NICK halfway"));
  EXPECT_TRUE(co_await c->expect("ERROR :Closing Link: 127.0.0.1 (Registration timed out)"))
      << c->dump();
  EXPECT_TRUE(co_await c->closed()) << c->dump();
  co_return kRanToTheEnd;
}

TEST(ChatIdleTimeouts, ANickWithoutUserDoesNotCountAsRegistered) {
  chat::ServerOptions o;
  o.register_timeout = kRegisterTimeout;
  EXPECT_TRUE(run_with(o, half_registered_connection_is_closed));
}

// --- PING ------------------------------------------------------------------

constexpr auto kPingInterval = 300ms;
constexpr auto kPingTimeout = 1s;

struct Answered {
  bool saw_needle = false;
  int pongs = 0;
  bool alive = false;  // answered a PING of its own after all that
  std::string log;
};

// Reads `c`'s lines, answering every PING, until it has seen `needle` and
// answered `pongs` PINGs; then checks that the connection still works.
Task<Answered> answer_pings(TestClient c, std::string needle, int pongs) {
  Answered a;
  const troupe::Instant deadline = troupe::Clock::now() + 20s;
  while (!a.saw_needle || a.pongs < pongs) {
    const troupe::Duration left = deadline - troupe::Clock::now();
    if (left <= troupe::Duration::zero()) break;
    auto line = co_await c.expect("", left);  // any line
    if (!line) break;
    if (line->starts_with("PING ")) {
      const bool sent = co_await c.send("PONG" + line->substr(4));
      if (!sent) break;
      ++a.pongs;
    } else if (line->find(needle) != std::string::npos) {
      a.saw_needle = true;
    }
  }
  a.alive = (co_await c.sync("still-here")).has_value();
  for (const auto& l : c.log) {
    // The PONGs went without a complaint, and nobody dropped this client.
    EXPECT_EQ(l.find(" 421 "), std::string::npos) << l;
    EXPECT_EQ(l.find("ERROR"), std::string::npos) << l;
  }
  a.log = c.dump();
  co_return a;
}

Task<Ending> silent_client_is_pinged_and_dropped(SocketAddress addr) {
  auto alice = co_await TestClient::connect(addr);
  auto bob = co_await TestClient::connect(addr);
  CO_ASSERT(alice && bob);
  CO_ASSERT(co_await alice->register_as("alice"), << alice->dump());
  CO_ASSERT(co_await bob->register_as("bob"), << bob->dump());
  CO_ASSERT(co_await alice->join("#idle"), << alice->dump());
  CO_ASSERT(co_await bob->join("#idle"), << bob->dump());

  // Alice answers her PINGs meanwhile, in a task of her own: she must
  // outlive several intervals and see bob go.
  auto alice_side =
      troupe::spawn(answer_pings(std::move(*alice), ":bob!bob@127.0.0.1 QUIT :Ping timeout", 3));

  // Bob says nothing more.
  auto ping = co_await bob->expect("PING :troupe.chat");
  CO_ASSERT(ping, << bob->dump());
  const troupe::Instant pinged = troupe::Clock::now();
  EXPECT_EQ(*ping, "PING :troupe.chat");
  EXPECT_TRUE(co_await bob->expect("ERROR :Closing Link: 127.0.0.1 (Ping timeout)")) << bob->dump();
  // Not before the timeout (less some slack: the PING took time to come).
  EXPECT_GE(since(pinged), kPingTimeout / 2);
  EXPECT_TRUE(co_await bob->closed()) << bob->dump();

  const Answered a = co_await alice_side;
  EXPECT_TRUE(a.saw_needle) << a.log;
  EXPECT_GE(a.pongs, 3) << a.log;
  EXPECT_TRUE(a.alive) << a.log;
  co_return kRanToTheEnd;
}

TEST(ChatIdleTimeouts, ASilentClientIsPingedThenDroppedWhileOneThatAnswersStays) {
  chat::ServerOptions o;
  o.ping_interval = kPingInterval;
  o.ping_timeout = kPingTimeout;
  EXPECT_TRUE(run_with(o, silent_client_is_pinged_and_dropped));
}

// --- connections per address ---------------------------------------------------

constexpr std::size_t kPerAddress = 3;

Task<Ending> surplus_connection_is_refused(SocketAddress addr) {
  // Accepted in order by the one acceptor: the first three are counted
  // before the fourth is looked at.
  auto c1 = co_await TestClient::connect(addr);
  auto c2 = co_await TestClient::connect(addr);
  auto c3 = co_await TestClient::connect(addr);
  auto refused = co_await TestClient::connect(addr);
  CO_ASSERT(c1 && c2 && c3 && refused);
  EXPECT_TRUE(co_await refused->expect(
      "ERROR :Closing Link: 127.0.0.1 (Too many connections from your address)"))
      << refused->dump();
  EXPECT_TRUE(co_await refused->closed()) << refused->dump();
  EXPECT_EQ(refused->log.size(), 1u) << refused->dump();  // nothing but the ERROR

  // The ones within the limit work.
  CO_ASSERT(co_await c2->register_as("two"), << c2->dump());
  CO_ASSERT(co_await c3->register_as("three"), << c3->dump());

  // One closes: seen closed, its place is free.
  CO_ASSERT(co_await c1->send("QUIT :making room"));
  CO_ASSERT(co_await c1->expect("ERROR :Closing Link: 127.0.0.1"), << c1->dump());
  auto c4 = co_await TestClient::connect(addr);
  CO_ASSERT(c4);
  EXPECT_TRUE(co_await c4->register_as("four")) << c4->dump();

  // And the limit still holds.
  auto again = co_await TestClient::connect(addr);
  CO_ASSERT(again);
  EXPECT_TRUE(co_await again->expect("(Too many connections from your address)")) << again->dump();
  EXPECT_TRUE(co_await again->closed()) << again->dump();
  co_return kRanToTheEnd;
}

TEST(ChatAddressLimit, AConnectionOverTheLimitIsRefusedAndAdmittedOnceAnotherCloses) {
  chat::ServerOptions o;
  o.max_connections_per_address = kPerAddress;
  EXPECT_TRUE(run_with(o, surplus_connection_is_refused));
}

}  // namespace chat_timeouts_test
