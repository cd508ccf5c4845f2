// The chat server as a cluster on etcd: two nodes in this process and one
// troupe-chat process, each with its clients. A channel lives on the
// process node; when that node is killed, its clients lose their
// connection, the channel comes back on a survivor, and the clients of the
// survivors talk in it again, within the lease TTL and two seconds, without
// joining again: every message after the recovery arrives once, in order.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/cluster/cluster.hpp>
#include <troupe/cluster/detail/placement.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/socket_address.hpp>

#include "../support/etcd_server.hpp"
#include "chat/server.hpp"
#include "chat_process.hpp"
#include "test_client.hpp"

namespace chat_cluster_test {

using namespace std::chrono_literals;
using chat::test::ChatProcess;
using chat::test::Ending;
using chat::test::kRanToTheEnd;
using chat::test::TempDir;
using chat::test::TestClient;
using troupe::SocketAddress;
using troupe::Task;

const std::string kClusterSecret =
    "9e8d7c6b5a49382716051f2e3d4c5b6a798897a6b5c4d3e2f1a0b9c8d7e6f5a4";
constexpr std::chrono::seconds kTtl{2};

// A node of the chat cluster in this process.
struct Member {
  explicit Member(const std::string& etcd) : system({.workers = 2}) {
    node.emplace(system, troupe::remote::NodeOptions{.listen = "127.0.0.1:0",
                                                     .cluster_secret = kClusterSecret});
    troupe::cluster::ClusterOptions co;
    co.name = "troupe-chat";  // what troupe-chat calls its cluster
    co.etcd.endpoints = {etcd};
    co.lease_ttl = kTtl;
    cluster.emplace(*node, std::move(co));
    chat::ServerOptions options;
    options.port = 0;
    options.max_connections_per_address = 0;
    server.emplace(system, options);
    server->join_cluster(*node, *cluster);
    cluster->start();
  }
  ~Member() {
    server->stop(0ms);
    cluster->shutdown();
    node->shutdown();
    system.shutdown();
  }
  troupe::ActorSystem system;
  std::optional<troupe::remote::Node> node;
  std::optional<troupe::cluster::Cluster> cluster;
  std::optional<chat::ChatServer> server;
};

// A channel whose home among `nodes` is `home`.
std::string channel_homed_at(const std::string& home, const std::vector<std::string>& nodes) {
  for (int i = 0;; ++i) {
    const std::string channel = "#home-" + std::to_string(i);
    std::string best;
    std::uint64_t best_score = 0;
    for (const auto& n : nodes) {
      const auto s = troupe::cluster::detail::placement_score(n, "channel", channel);
      if (best.empty() || s > best_score) {
        best = n;
        best_score = s;
      }
    }
    if (best == home) return channel;
  }
}

// The texts of the PRIVMSGs to `channel` in `log` that start with `stem`.
std::vector<std::string> said(const std::vector<std::string>& log, const std::string& channel,
                              const std::string& stem) {
  std::vector<std::string> out;
  const std::string marker = " PRIVMSG " + channel + " :" + stem;
  for (const auto& line : log) {
    if (auto at = line.find(marker); at != std::string::npos) {
      out.push_back(line.substr(at + marker.size() - stem.size()));
    }
  }
  return out;
}

// True once `cluster` has `n` members (within `timeout`).
Task<bool> all_members(troupe::cluster::Cluster& cluster, std::size_t n, troupe::Duration timeout) {
  auto events = cluster.events();
  const auto deadline = troupe::Clock::now() + timeout;
  while (cluster.members().size() < n) {
    auto r = co_await troupe::select(events.next(), troupe::sleep_until(deadline));
    if (r.index() != 0) co_return cluster.members().size() >= n;
  }
  co_return true;
}

struct Scene {
  SocketAddress a, b, c;
  std::string channel;
  ChatProcess* doomed;
};

Task<Ending> survive(Scene scene) {
  auto alice = co_await TestClient::connect(scene.a);
  auto bob = co_await TestClient::connect(scene.b);
  auto carol = co_await TestClient::connect(scene.c);
  CO_ASSERT(alice && bob && carol);
  CO_ASSERT(co_await alice->register_as("alice"), << alice->dump());
  CO_ASSERT(co_await bob->register_as("bob"), << bob->dump());
  CO_ASSERT(co_await carol->register_as("carol"), << carol->dump());
  // Nicks are the cluster's: bob is taken on every node.
  auto again = co_await TestClient::connect(scene.c);
  CO_ASSERT(again);
  CO_ASSERT(co_await again->send("NICK bob"));
  CO_ASSERT(co_await again->expect(" 433 "), << again->dump());

  for (auto* c : {&*alice, &*bob, &*carol})
    CO_ASSERT(co_await c->join(scene.channel), << c->dump());
  CO_ASSERT(co_await alice->send("PRIVMSG " + scene.channel + " :before"));
  CO_ASSERT(co_await bob->expect("PRIVMSG " + scene.channel + " :before"), << bob->dump());
  CO_ASSERT(co_await carol->expect("PRIVMSG " + scene.channel + " :before"), << carol->dump());
  // A private message across nodes.
  CO_ASSERT(co_await carol->send("PRIVMSG alice :psst"));
  CO_ASSERT(co_await alice->expect(":carol!carol@127.0.0.1 PRIVMSG alice :psst"), << alice->dump());

  // The channel's node dies: its clients are cut off.
  const auto killed_at = std::chrono::steady_clock::now();
  scene.doomed->kill();
  CO_ASSERT(co_await carol->closed(10s));

  // alice speaks until bob hears her: the channel is back, both in it.
  bool back = false;
  for (int probe = 0; !back && std::chrono::steady_clock::now() - killed_at < 20s; ++probe) {
    CO_ASSERT(
        co_await alice->send("PRIVMSG " + scene.channel + " :probe-" + std::to_string(probe)));
    back = static_cast<bool>(co_await bob->expect(" :probe-", 200ms));
  }
  const auto recovered = std::chrono::steady_clock::now() - killed_at;
  CO_ASSERT(back, << bob->dump());
  ::testing::Test::RecordProperty(
      "recovery_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(recovered).count()));
  EXPECT_LT(recovered, kTtl + 2s)
      << "channel back after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(recovered).count() << " ms";

  // From now on, everything each says reaches the other once, in order.
  constexpr int kMessages = 30;
  for (int i = 0; i < kMessages; ++i) {
    CO_ASSERT(
        co_await alice->send("PRIVMSG " + scene.channel + " :from-alice-" + std::to_string(i)));
    CO_ASSERT(co_await bob->send("PRIVMSG " + scene.channel + " :from-bob-" + std::to_string(i)));
  }
  const std::string last = std::to_string(kMessages - 1);
  CO_ASSERT(co_await bob->expect(" :from-alice-" + last), << bob->dump());
  CO_ASSERT(co_await alice->expect(" :from-bob-" + last), << alice->dump());
  std::vector<std::string> expected_alice, expected_bob;
  for (int i = 0; i < kMessages; ++i) {
    expected_alice.push_back("from-alice-" + std::to_string(i));
    expected_bob.push_back("from-bob-" + std::to_string(i));
  }
  EXPECT_EQ(said(bob->log, scene.channel, "from-alice-"), expected_alice) << bob->dump();
  EXPECT_EQ(said(alice->log, scene.channel, "from-bob-"), expected_bob) << alice->dump();
  co_return kRanToTheEnd;
}

TEST(ChatCluster, ChannelsOfAKilledNodeComeBackOnTheOthersAndTheirClientsTalkAgain) {
  troupe::test::EtcdServer etcd;
  TempDir dir;
  const auto secret = dir.file("chat.secret", kClusterSecret + "\n");
  ChatProcess doomed(dir.path(),
                     {"--cluster", etcd.endpoint(), "--node-listen", "127.0.0.1:0", "--secret-file",
                      secret.string(), "--lease-ttl", std::to_string(kTtl.count()), "--port", "0",
                      "--max-connections-per-address", "0"});
  auto joined = doomed.line_after("troupe-chat: cluster node ", 30s);
  ASSERT_TRUE(joined) << doomed.stderr_text();
  const std::string doomed_node = joined->substr(0, joined->find(' '));
  auto listening = doomed.line_after("troupe-chat: listening on ");
  ASSERT_TRUE(listening) << doomed.stderr_text();
  auto c = SocketAddress::parse(*listening);
  ASSERT_TRUE(c);

  Member a(etcd.endpoint());
  Member b(etcd.endpoint());
  ASSERT_TRUE(a.system.block_on(a.cluster->wait_joined(30s)));
  ASSERT_TRUE(b.system.block_on(b.cluster->wait_joined(30s)));
  auto a_addr = a.server->start();
  auto b_addr = b.server->start();
  ASSERT_TRUE(a_addr && b_addr);
  // Everyone sees everyone before the channel is placed.
  for (Member* m : {&a, &b}) {
    ASSERT_TRUE(m->system.block_on(all_members(*m->cluster, 3, 20s)));
  }
  Scene scene{*a_addr, *b_addr, *c,
              channel_homed_at(doomed_node, {a.node->name(), b.node->name(), doomed_node}),
              &doomed};
  EXPECT_TRUE(chat::test::ran_to_the_end(a.system.block_on(survive(scene))));
}

}  // namespace chat_cluster_test
