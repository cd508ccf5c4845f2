// The metrics endpoint, scraped by curl: the values move as the system does.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/mailbox.hpp>
#include <troupe/metrics/metrics_server.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>

#include "scrape.hpp"

namespace {

using namespace std::chrono_literals;
using metrics_test::Scraper;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::MetricsServer;
using troupe::Task;

struct Add {
  int n;
};
struct Get {};
struct Hold {
  std::atomic<bool>* holding;
};

struct Counter : troupe::Actor<Counter> {
  std::int64_t total = 0;
  void handle(const Add& m) { total += m.n; }
  std::int64_t handle(const Get&) { return total; }
  Task<void> handle(Hold h) {  // holds the mailbox
    h.holding->store(true);
    h.holding->notify_all();
    co_await troupe::sleep_for(1h);
  }
};

struct Boom {};
struct Fragile : troupe::Actor<Fragile> {
  void handle(Boom) { throw std::runtime_error("boom"); }
  int handle(const Get&) { return 1; }
};

struct Fixture {
  Fixture()
      : system(troupe::ActorSystemOptions{.workers = 2}),
        server(system, {.listen = "127.0.0.1:0"}),
        scraper("http://" + server.local_address().to_string()) {}
  ~Fixture() {
    server.stop();
    system.shutdown();
  }
  ActorSystem system;
  MetricsServer server;
  Scraper scraper;
};

TEST(MetricsServer, ServesEveryMetricInThePrometheusTextFormat) {
  Fixture f;
  const std::string text = f.scraper.scrape();
  for (const char* name :
       {"troupe_actors_live", "troupe_actors_started_total", "troupe_actor_restarts_total",
        "troupe_messages_handled_total", "troupe_tasks_spawned_total", "troupe_worker_busy_ratio",
        "troupe_mailbox_depth_count", "troupe_mailbox_depth_max",
        "troupe_ask_duration_seconds_count", "troupe_ask_duration_seconds_sum"}) {
    EXPECT_TRUE(metrics_test::value(text, name)) << name << " missing in\n" << text;
  }
  EXPECT_NE(text.find("# TYPE troupe_ask_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("# TYPE troupe_messages_handled_total counter"), std::string::npos);
  EXPECT_TRUE(metrics_test::value(text, "troupe_dead_letters_total{reason=\"mailbox_full\"}"));
  const double busy = *metrics_test::value(text, "troupe_worker_busy_ratio");
  EXPECT_GE(busy, 0.0);
  EXPECT_LE(busy, 1.0);
}

TEST(MetricsServer, CountsAThousandActorsTheirMessagesAndTheirEnd) {
  Fixture f;
  const auto& s = f.scraper;
  const double live0 = s.get("troupe_actors_live");
  const double started0 = s.get("troupe_actors_started_total");
  const double handled0 = s.get("troupe_messages_handled_total");

  std::vector<ActorRef<Counter>> actors;
  for (int i = 0; i < 1000; ++i) actors.push_back(f.system.spawn<Counter>());
  EXPECT_EQ(s.get("troupe_actors_live"), live0 + 1000);
  EXPECT_EQ(s.get("troupe_actors_started_total"), started0 + 1000);

  constexpr int kPerActor = 5;
  for (int round = 0; round < kPerActor; ++round) {
    for (auto& a : actors) a.tell(Add{1});
  }
  const double want = handled0 + 1000.0 * kPerActor;
  EXPECT_EQ(s.until("troupe_messages_handled_total", [&](double v) { return v >= want; }), want);

  for (auto& a : actors) a.stop();
  actors.clear();
  EXPECT_EQ(s.until("troupe_actors_live", [&](double v) { return v == live0; }), live0);
  // Stopping is no start.
  EXPECT_EQ(s.get("troupe_actors_started_total"), started0 + 1000);
}

TEST(MetricsServer, CountsTheMessagesALoopActorTakes) {
  Fixture f;
  const auto& s = f.scraper;
  const double handled0 = s.get("troupe_messages_handled_total");
  auto loop = f.system.spawn_loop<int>([](troupe::Mailbox<int>& mailbox) -> Task<void> {
    for (;;) {
      auto m = co_await mailbox.next();
      if (!m) break;
    }
  });
  for (int i = 0; i < 100; ++i) loop.tell(i);
  EXPECT_EQ(s.until("troupe_messages_handled_total", [&](double v) { return v >= handled0 + 100; }),
            handled0 + 100);
  loop.stop();
}

TEST(MetricsServer, CountsAsksTasksAndAnOverflowingMailbox) {
  Fixture f;
  const auto& s = f.scraper;
  const double asks0 = s.get("troupe_ask_duration_seconds_count");
  const double tasks0 = s.get("troupe_tasks_spawned_total");
  const std::string full = "troupe_dead_letters_total{reason=\"mailbox_full\"}";
  const double full0 = s.get(full);

  auto counter = f.system.spawn<Counter>();
  for (int i = 0; i < 5; ++i) {
    auto total = f.system.block_on([](ActorRef<Counter> c) -> Task<std::int64_t> {
      auto r = co_await c.ask(Get{}, 10s);
      co_return r.value();
    }(counter));
    EXPECT_EQ(total, 0);
  }
  EXPECT_EQ(s.get("troupe_ask_duration_seconds_count"), asks0 + 5);
  EXPECT_GT(s.get("troupe_ask_duration_seconds_sum"), 0.0);
  // block_on spawned five tasks, and each scrape's connection is one.
  EXPECT_GE(s.get("troupe_tasks_spawned_total"), tasks0 + 5);

  // A mailbox of one, held by a handler that waits: the tells after the
  // one that fits are refused, each a dead letter.
  auto held = f.system.spawn_with<Counter>(
      troupe::SpawnOptions{troupe::MailboxOptions::bounded(1, troupe::Overflow::kFail)});
  std::atomic<bool> holding{false};
  held.tell(Hold{&holding});
  holding.wait(false);
  EXPECT_EQ(held.tell(Add{1}), troupe::TellStatus::kQueued);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(held.tell(Add{1}), troupe::TellStatus::kFull);
  EXPECT_EQ(s.get(full), full0 + 9);
  // The held mailbox's depth shows.
  EXPECT_EQ(s.get("troupe_mailbox_depth_max"), 1.0);
  held.stop();
  counter.stop();
}

TEST(MetricsServer, CountsRestarts) {
  ActorSystem system(troupe::ActorSystemOptions{
      .workers = 2, .top_level = troupe::SupervisorStrategy::one_for_one(10), .log = {}});
  MetricsServer server(system, {.listen = "127.0.0.1:0"});
  const Scraper s("http://" + server.local_address().to_string());
  const double restarts0 = s.get("troupe_actor_restarts_total");
  auto fragile = system.spawn<Fragile>();
  fragile.tell(Boom{});
  fragile.tell(Boom{});
  // Answered by the third instance: two restarts before it.
  const int answer = system.block_on([](ActorRef<Fragile> f) -> Task<int> {
    auto r = co_await f.ask(Get{}, 10s);
    co_return r.value();
  }(fragile));
  EXPECT_EQ(answer, 1);
  EXPECT_EQ(s.get("troupe_actor_restarts_total"), restarts0 + 2);
  server.stop();
  system.shutdown();
}

// One request on a plain socket: the bytes back, up to the server's close.
std::string raw_request(std::uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

TEST(MetricsServer, BadRequestsGetAnErrorAndTheServerServesOn) {
  Fixture f;
  const std::string base = f.scraper.base();
  const std::uint16_t port = f.server.local_address().port();
  EXPECT_EQ(raw_request(port, "GARBAGE\r\n\r\n").rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(raw_request(port, std::string("\0\1\2\3\r\n\r\n", 8)).rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(raw_request(port, "GET /metrics HTTP/1.1\r\nX: " + std::string(100000, 'a'))
                .rfind("HTTP/1.1 431 ", 0),
            0u);
  EXPECT_EQ(raw_request(port, "").size(), 0u);  // closed before a request: closed
  EXPECT_EQ(metrics_test::curl(base + "/nowhere").status, 404);
  EXPECT_EQ(metrics_test::curl(base + "/metrics", {"-X", "POST"}).status, 405);
  EXPECT_EQ(
      metrics_test::curl(base + "/metrics", {"-H", "X-Big: " + std::string(20000, 'b')}).status,
      431);
  EXPECT_EQ(metrics_test::curl(base + "/metrics", {"--http1.0"}).status, 200);
  EXPECT_EQ(metrics_test::curl(base + "/metrics").status, 200);
}

TEST(MetricsServer, ServesMorePaths) {
  Fixture f;
  f.server.serve("/extra", [] { return std::string("more\n"); });
  f.server.serve("/broken", []() -> std::string { throw std::runtime_error("no"); });
  const auto r = metrics_test::curl(f.scraper.base() + "/extra");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "more\n");
  EXPECT_EQ(metrics_test::curl(f.scraper.base() + "/broken").status, 500);
  EXPECT_EQ(metrics_test::curl(f.scraper.base() + "/metrics").status, 200);
}

TEST(MetricsServer, ServesTheLiveDumpAsTextAndJson) {
  Fixture f;
  auto counter = f.system.spawn<Counter>();
  ASSERT_TRUE(f.system.register_name("the-counter", counter));
  std::atomic<bool> holding{false};
  counter.tell(Hold{&holding});
  holding.wait(false);  // its handler waits in a coroutine now
  for (int i = 0; i < 3; ++i) counter.tell(Add{1});

  const auto text = metrics_test::curl(f.scraper.base() + "/dump");
  ASSERT_EQ(text.status, 200);
  EXPECT_NE(text.body.find("name=the-counter state=waiting mailbox=3"), std::string::npos)
      << text.body;
  const auto json = metrics_test::curl(f.scraper.base() + "/dump.json");
  ASSERT_EQ(json.status, 200);
  EXPECT_NE(json.body.find("\"name\":\"the-counter\""), std::string::npos) << json.body;
  EXPECT_NE(json.body.find("\"mailbox\":3"), std::string::npos) << json.body;
}

TEST(MetricsServer, StopClosesTheEndpoint) {
  Fixture f;
  const std::string base = f.scraper.base();
  EXPECT_EQ(metrics_test::curl(base + "/metrics").status, 200);
  f.server.stop();
  EXPECT_EQ(metrics_test::curl(base + "/metrics").status, 0);  // refused
}

}  // namespace
