// The chat server split over two nodes: the registry and the rooms on one,
// the connections on the other, over gRPC on loopback. The load generator
// must see every message of every room exactly once and in order.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/remote/node.hpp>

#include "chat/loadgen/loadgen.hpp"
#include "chat/server.hpp"

namespace {

using namespace std::chrono_literals;

// Nodes refuse to start without a cluster secret of 32 bytes or more.
const std::string kSplitSecret = "6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";

TEST(SplitServer, ConnectionsAndRoomsOnTwoNodesDeliverEverythingOnceAndInOrder) {
  troupe::ActorSystem rooms_system({.workers = 1});
  troupe::remote::Node rooms_node(rooms_system,
                                  {.listen = "127.0.0.1:0", .cluster_secret = kSplitSecret});
  chat::ChatServer rooms(rooms_system, chat::ServerOptions{});
  rooms.serve_rooms(rooms_node);

  troupe::ActorSystem connections_system({.workers = 1});
  // A tiny outbox towards the rooms: every line a session sends there
  // must wait for room when it is full, never be dropped.
  troupe::remote::Node connections_node(connections_system,
                                        {.cluster_secret = kSplitSecret, .outbox_capacity = 4});
  chat::ServerOptions options;
  options.port = 0;
  options.max_connections_per_address = 0;  // 24 clients from 127.0.0.1
  chat::ChatServer connections(connections_system, options);
  ASSERT_TRUE(connections.use_rooms_at(connections_node, rooms_node.address(), 10s));
  auto address = connections.start();
  ASSERT_TRUE(address) << address.error().message();

  chat::loadgen::Options o;
  o.port = address->port();
  o.clients = 24;
  o.rooms = 4;
  o.messages = 20;  // 480 messages, 480 * 5 deliveries
  o.window = 16;
  const auto r = connections_system.block_on(chat::loadgen::run(o));
  EXPECT_TRUE(r.ok()) << chat::loadgen::describe(o, r);
  EXPECT_EQ(r.expected, 480u * 5);
  EXPECT_EQ(r.delivered, r.expected);
  EXPECT_EQ(r.in_order, r.expected);
  // Everything came from where it claimed to: nothing was refused.
  EXPECT_EQ(rooms.refused(), 0u);
  EXPECT_EQ(connections.refused(), 0u);

  connections.stop();
  rooms.stop();
  connections_node.shutdown();
  rooms_node.shutdown();
}

}  // namespace
