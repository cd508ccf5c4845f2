// Per-peer metrics of a remote node: a second node process, its traffic,
// and its loss.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <troupe/metrics/metrics_server.hpp>

#include "../remote/nodes.hpp"
#include "scrape.hpp"

namespace {

using namespace std::chrono_literals;

TEST(RemoteMetrics, PeerTrafficAndALostNode) {
  remote_test::ChildNode other({"--secret", remote_test::kSecret});
  remote_test::Local local;
  troupe::MetricsServer server(local.system, {.listen = "127.0.0.1:0", .node = &*local.node});
  const metrics_test::Scraper s("http://" + server.local_address().to_string());

  auto echo = local.lookup<remote_test::Echo>(other.address(), "echo");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(local.run(remote_test::ping(echo, i)), i + 1);

  const std::string peer = "{peer=\"" + other.address() + "\"}";
  EXPECT_EQ(s.get("troupe_remote_connected" + peer), 1.0);
  // The lookup and ten asks went out; their replies came back.
  EXPECT_GE(s.get("troupe_remote_sent_total" + peer), 11.0);
  EXPECT_GE(s.get("troupe_remote_received_total" + peer), 11.0);
  EXPECT_EQ(s.get("troupe_remote_outbox_depth" + peer), 0.0);

  other.kill();
  EXPECT_EQ(s.until(
                "troupe_remote_connected" + peer, [](double v) { return v == 0; }, 30s),
            0.0);
  server.stop();
}

}  // namespace
