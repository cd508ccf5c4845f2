// The chat server serving clients that come over in-memory links
// (ChatServer::serve) instead of its socket, on the real runtime: the same
// sessions, rooms and lines as over TCP, and the per-address limit.

#include "memory_link.hpp"

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/runtime/task.hpp>

#include "chat/server.hpp"
#include "test_client.hpp"

namespace {

using chat::test::Ending;
using chat::test::kRanToTheEnd;
using chat::test::MemoryLink;
using chat::test::TestClient;
using troupe::Task;

// A client on a fresh in-memory link, served by `server` as `host`.
Task<std::optional<TestClient>> connect(chat::ChatServer& server, std::string host) {
  auto [client_end, server_end] = MemoryLink::pair();
  const bool served = co_await server.serve(server_end, std::move(host));
  if (!served) co_return std::nullopt;
  co_return TestClient(client_end);
}

Task<Ending> two_clients_chat(chat::ChatServer& server) {
  auto alice = co_await connect(server, "10.0.0.1");
  auto bob = co_await connect(server, "10.0.0.2");
  CO_ASSERT(alice && bob);
  CO_ASSERT(co_await alice->register_as("alice"), << alice->dump());
  CO_ASSERT(co_await bob->register_as("bob"), << bob->dump());
  CO_ASSERT(co_await alice->join("#mem"), << alice->dump());
  CO_ASSERT(co_await bob->join("#mem"), << bob->dump());
  CO_ASSERT(co_await alice->expect(":bob!bob@10.0.0.2 JOIN #mem"), << alice->dump());
  CO_ASSERT(co_await alice->send("PRIVMSG #mem :hello over memory"));
  CO_ASSERT(co_await bob->expect(":alice!alice@10.0.0.1 PRIVMSG #mem :hello over memory"),
            << bob->dump());
  CO_ASSERT(co_await bob->send("QUIT :bye"));
  CO_ASSERT(co_await alice->expect(":bob!bob@10.0.0.2 QUIT :Quit: bye"), << alice->dump());
  CO_ASSERT(co_await bob->closed(), << bob->dump());
  co_return kRanToTheEnd;
}

TEST(MemoryLink, TwoClientsChatThroughTheServerAsOverTcp) {
  troupe::ActorSystem system({.workers = 2});
  chat::ServerOptions options;
  options.port = 0;
  chat::ChatServer server(system, options);
  ASSERT_TRUE(server.start());
  EXPECT_TRUE(chat::test::ran_to_the_end(system.block_on(two_clients_chat(server))));
}

Task<Ending> over_the_limit(chat::ChatServer& server) {
  auto first = co_await connect(server, "10.0.0.9");
  CO_ASSERT(first);
  auto [client_end, server_end] = MemoryLink::pair();
  const bool served = co_await server.serve(server_end, "10.0.0.9");
  CO_ASSERT(!served);
  TestClient refused(client_end);
  CO_ASSERT(co_await refused.expect("ERROR :Closing Link: 10.0.0.9 (Too many connections"),
            << refused.dump());
  CO_ASSERT(co_await refused.closed(), << refused.dump());
  co_return kRanToTheEnd;
}

TEST(MemoryLink, AServedLinkCountsAgainstThePerAddressLimit) {
  troupe::ActorSystem system({.workers = 2});
  chat::ServerOptions options;
  options.port = 0;
  options.max_connections_per_address = 1;
  chat::ChatServer server(system, options);
  ASSERT_TRUE(server.start());
  EXPECT_TRUE(chat::test::ran_to_the_end(system.block_on(over_the_limit(server))));
}

}  // namespace
