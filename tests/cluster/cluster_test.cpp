// A cluster on a real etcd (tests/support/etcd_server.hpp): this process is
// one member, node processes (troupe-cluster-test-node) are the others.
// Membership (a killed node goes down within the TTL, a leaving one at
// once), cluster-wide names, and virtual actors: one activation for many
// concurrent first messages from three nodes, passivation, re-activation
// after the host is killed, a host cut off from etcd stopping its
// activations before another node takes them, and an etcd restart under a
// running cluster.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/cluster/cluster.hpp>
#include <troupe/cluster/detail/placement.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>

#include "../support/etcd_server.hpp"
#include "../support/tcp_proxy.hpp"
#include "members.hpp"

namespace cluster_membership_test {

using namespace std::chrono_literals;
using cluster_test::Burst;
using cluster_test::BurstReply;
using cluster_test::ClusterChild;
using cluster_test::Driver;
using cluster_test::LocalMember;
using troupe::Task;
using troupe::cluster::MemberEvent;

using Steady = std::chrono::steady_clock;

// An identity whose home (rendezvous placement) among `hosts` is `home`.
std::string homed_at(const std::string& home, const std::vector<std::string>& hosts,
                     const std::string& stem = "id") {
  for (int i = 0;; ++i) {
    const std::string identity = stem + "-" + std::to_string(i);
    std::string best;
    std::uint64_t best_score = 0;
    for (const auto& h : hosts) {
      const auto s = troupe::cluster::detail::placement_score(h, "counter", identity);
      if (best.empty() || s > best_score) {
        best = h;
        best_score = s;
      }
    }
    if (best == home) return identity;
  }
}

TEST(ClusterMembership, MembersSeeEachOtherAndAKilledNodeGoesDownWithinTheTtl) {
  troupe::test::EtcdServer etcd;
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 2s});
  ClusterChild a(etcd.endpoint(), {"--ttl", "2"});
  ClusterChild b(etcd.endpoint(), {"--ttl", "2"});
  ASSERT_TRUE(local.wait_members({local.node->name(), a.address(), b.address()}, 10s));
  for (const auto& m : local.cluster->members()) {
    if (m.node == a.address()) {
      EXPECT_EQ(m.incarnation, a.incarnation());
    }
  }
  // A member is connected to: its actors answer.
  auto driver = local.run(local.cluster->lookup<Driver>("driver@" + a.address()));
  ASSERT_TRUE(driver) << driver.detail();
  EXPECT_TRUE(local.run(local.node->wait_for(a.address(), 10s)));

  const auto killed_at = Steady::now();
  a.kill();
  for (;;) {
    auto e = local.next_event(10s);
    ASSERT_TRUE(e) << "no member-down event for the killed node";
    if (e->kind == MemberEvent::Kind::kDown && e->member.node == a.address()) break;
  }
  const auto seen = Steady::now() - killed_at;
  // The lease (2 s) runs out, and etcd notices within its own tick.
  EXPECT_LT(seen, 2s + 2s);
  EXPECT_TRUE(local.wait_members({local.node->name(), b.address()}, 1s));
  // Treated as a lost node: it is disconnected and its refs refuse.
  EXPECT_TRUE(local.run(local.node->wait_gone(a.address(), 5s)));
  Burst burst;
  EXPECT_EQ(driver->tell(burst), troupe::TellStatus::kUnreachable);
}

TEST(ClusterMembership, AGracefulLeaveIsSeenAtOnceAndTwoNodesCannotShareAName) {
  troupe::test::EtcdServer etcd;
  // A long TTL: a member seen down quickly left, it did not expire.
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 20s});
  ClusterChild a(etcd.endpoint(), {"--ttl", "20"});
  ASSERT_TRUE(local.wait_members({local.node->name(), a.address()}, 10s));
  const auto left_at = Steady::now();
  a.stop();
  for (;;) {
    auto e = local.next_event(10s);
    ASSERT_TRUE(e) << "no member-down event for the node that left";
    if (e->kind == MemberEvent::Kind::kDown && e->member.node == a.address()) break;
  }
  EXPECT_LT(Steady::now() - left_at, 5s);
  auto gone = local.run(local.cluster->lookup<Driver>("driver@" + a.address()));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), troupe::remote::LookupError::kNotFound) << "its name went with it";
}

TEST(ClusterNames, ANameRegisteredOnOneNodeIsFoundFromAnotherAndIsUnique) {
  troupe::test::EtcdServer etcd;
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 2s, .host_counter = true});
  ClusterChild a(etcd.endpoint(), {"--ttl", "2"});
  auto driver = local.run(local.cluster->lookup<Driver>("driver@" + a.address()));
  ASSERT_TRUE(driver) << driver.detail();
  // It works: the driver on the other node sends to a virtual actor.
  Burst burst;
  burst.set_kind("counter");
  burst.set_identity("names");
  burst.set_count(3);
  burst.set_n(1);
  auto reply =
      local.run([](troupe::ActorRef<Driver> d, Burst b) -> Task<troupe::AskResult<BurstReply>> {
        co_return co_await d.ask(b, 20s);
      }(*driver, burst));
  ASSERT_TRUE(reply) << to_string(reply.error());
  EXPECT_EQ(reply->failed(), 0);
  EXPECT_EQ(reply->last_total(), 3);

  // The name is taken: another actor cannot have it.
  auto mine = local.system.spawn<Driver>(&*local.cluster);
  EXPECT_FALSE(local.run(local.cluster->register_name("driver@" + a.address(), mine)));
  EXPECT_TRUE(local.run(local.cluster->register_name("driver@here", mine)));
  auto found = local.run(local.cluster->lookup<Driver>("driver@here"));
  ASSERT_TRUE(found) << found.detail();
  EXPECT_EQ(*found, mine);
  auto wrong = local.run(local.cluster->lookup<cluster_test::Counter>("driver@here"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(), troupe::remote::LookupError::kWrongType) << wrong.detail();
  // When the actor stops, its name is freed.
  mine.stop();
  const auto deadline = Steady::now() + 10s;
  bool freed = false;
  while (!freed && Steady::now() < deadline) {
    auto r = local.run(local.cluster->lookup<Driver>("driver@here"));
    freed = !r && r.error() == troupe::remote::LookupError::kNotFound;
    if (!freed) (void)local.next_event(50ms);  // a bounded wait between reads
  }
  EXPECT_TRUE(freed);
}

TEST(ClusterNames, ALoopActorHasANameTooAndUnregisteringFreesIt) {
  troupe::test::EtcdServer etcd;
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 2s});
  auto loop = local.system.spawn_loop<cluster_test::Add>(
      [](troupe::Mailbox<cluster_test::Add>& mailbox) -> Task<void> {
        while (co_await mailbox.next()) {
        }
      });
  EXPECT_TRUE(local.run(local.cluster->register_name("adder", loop)));
  auto found = local.run(local.cluster->lookup_address<cluster_test::Add>("adder"));
  ASSERT_TRUE(found) << found.detail();
  EXPECT_EQ(*found, loop);
  auto wrong = local.run(local.cluster->lookup_address<cluster_test::Total>("adder"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(), troupe::remote::LookupError::kWrongType);

  EXPECT_TRUE(local.run(local.cluster->unregister_name("adder")));
  EXPECT_FALSE(local.run(local.cluster->unregister_name("adder"))) << "not ours any more";
  auto gone = local.run(local.cluster->lookup_address<cluster_test::Add>("adder"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), troupe::remote::LookupError::kNotFound);
  // Free for another actor.
  auto other = local.system.spawn_loop<cluster_test::Add>(
      [](troupe::Mailbox<cluster_test::Add>& mailbox) -> Task<void> {
        while (co_await mailbox.next()) {
        }
      });
  EXPECT_TRUE(local.run(local.cluster->register_name("adder", other)));
}

TEST(ClusterMembership, ANodeStartedBeforeEtcdSaysSoAndJoinsOnceEtcdIsUp) {
  troupe::test::EtcdServer etcd;
  etcd.stop();
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 2s, .must_join = false});
  EXPECT_FALSE(local.run(local.cluster->wait_joined(1s)));
  EXPECT_NE(local.log().find("cannot get a lease"), std::string::npos) << local.log();
  etcd.start();
  EXPECT_TRUE(local.run(local.cluster->wait_joined(20s))) << local.log();
}

TEST(ClusterMembership, ASecondNodeWithTheSameNameWaitsAndARecordThatDoesNotParseIsIgnored) {
  troupe::test::EtcdServer etcd;
  LocalMember first({.etcd = etcd.endpoint(), .ttl = 2s});
  std::string out;
  ASSERT_EQ(etcd.etcdctl({"put", "/troupe/troupe/members/bogus", "not a member record"}, &out), 0)
      << out;
  // Another process claiming the first one's name.
  troupe::ActorSystem system(troupe::ActorSystemOptions{.workers = 1});
  troupe::remote::Node twin(system, {.listen = "127.0.0.1:0",
                                     .name = first.node->name(),
                                     .cluster_secret = std::string(32, 'k')});
  std::vector<std::string> lines;
  std::mutex mutex;
  {
    troupe::cluster::Cluster cluster(
        twin, {.etcd = {.endpoints = {etcd.endpoint()}}, .log = [&](const std::string& l) {
                 std::lock_guard lock(mutex);
                 lines.push_back(l);
               }});
    cluster.start();
    EXPECT_FALSE(system.block_on(cluster.wait_joined(2s)));
    cluster.shutdown();
  }
  twin.shutdown();
  system.shutdown();
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_NE(all.find("is already a member"), std::string::npos) << all;
  // The first is undisturbed, and the bogus record is no member.
  ASSERT_EQ(first.cluster->members().size(), 1u);
  EXPECT_EQ(first.cluster->members()[0].incarnation, first.node->incarnation());
  EXPECT_NE(first.log().find("does not parse"), std::string::npos) << first.log();
}

}  // namespace cluster_membership_test

namespace virtual_actor_test {

using namespace std::chrono_literals;
using cluster_membership_test::homed_at;
using cluster_test::Burst;
using cluster_test::BurstReply;
using cluster_test::ClusterChild;
using cluster_test::Driver;
using cluster_test::LocalMember;
using troupe::Task;

using Steady = std::chrono::steady_clock;

Task<std::vector<troupe::AskResult<BurstReply>>> bursts(
    std::vector<troupe::ActorRef<Driver>> drivers, Burst b) {
  std::vector<troupe::AskFuture<BurstReply>> asks;
  for (auto& d : drivers) asks.push_back(d.ask(b, 60s));
  std::vector<troupe::AskResult<BurstReply>> replies;
  for (auto& a : asks) replies.push_back(co_await std::move(a));
  co_return replies;
}

TEST(VirtualActors, HundredConcurrentFirstMessagesFromEachOfThreeNodesMakeOneActivation) {
  troupe::test::EtcdServer etcd;
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 2s, .host_counter = true});
  ClusterChild a(etcd.endpoint(), {"--ttl", "2"});
  ClusterChild b(etcd.endpoint(), {"--ttl", "2"});
  ASSERT_TRUE(local.wait_members({local.node->name(), a.address(), b.address()}, 10s));
  std::vector<troupe::ActorRef<Driver>> drivers{local.system.spawn<Driver>(&*local.cluster)};
  for (const auto* child : {&a, &b}) {
    auto d = local.run(local.cluster->lookup<Driver>("driver@" + child->address()));
    ASSERT_TRUE(d) << d.detail();
    drivers.push_back(*d);
  }
  for (int round = 0; round < 3; ++round) {
    Burst burst;
    burst.set_kind("counter");
    burst.set_identity("crowd-" + std::to_string(round));
    burst.set_count(100);
    burst.set_n(1);
    auto replies = local.run(bursts(drivers, burst));
    std::set<std::string> activations;
    std::int64_t highest = 0;
    for (auto& r : replies) {
      ASSERT_TRUE(r) << to_string(r.error());
      EXPECT_EQ(r->failed(), 0);
      for (const auto& a : r->activations()) activations.insert(a);
      highest = std::max(highest, r->last_total());
    }
    EXPECT_EQ(activations.size(), 1u) << "round " << round;
    EXPECT_EQ(highest, 300) << "every add reached the one activation";
  }
}

TEST(VirtualActors, AnIdleActivationIsPassivatedAndTheNextMessageActivatesItAgain) {
  troupe::test::EtcdServer etcd;
  LocalMember local(
      {.etcd = etcd.endpoint(), .ttl = 2s, .host_counter = true, .passivate_after = 300ms});
  auto first = local.add("sleepy", 5);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->value(), 5);
  auto second = local.add("sleepy", 1);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->actor(), first->actor());
  EXPECT_EQ(second->value(), 6);
  // on_stop runs after the silence.
  auto stopped =
      local.run([](troupe::MpscReceiver<std::uint64_t>& rx) -> Task<std::optional<std::uint64_t>> {
        auto r = co_await troupe::select(rx.next(), troupe::sleep_for(10s));
        if (r.index() != 0) co_return std::nullopt;
        co_return std::get<0>(r);
      }(local.stops));
  ASSERT_TRUE(stopped);
  EXPECT_EQ(*stopped, first->actor());
  // A new activation, with fresh state.
  auto again = local.add("sleepy", 1);
  ASSERT_TRUE(again) << to_string(again.error());
  EXPECT_NE(again->actor(), first->actor());
  EXPECT_EQ(again->value(), 1);
}

TEST(VirtualActors, AfterItsHostIsKilledTheNextMessageActivatesItOnASurvivor) {
  troupe::test::EtcdServer etcd;
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 2s});  // hosts nothing
  ClusterChild a(etcd.endpoint(), {"--ttl", "2"});
  ClusterChild b(etcd.endpoint(), {"--ttl", "2"});
  ASSERT_TRUE(local.wait_members({local.node->name(), a.address(), b.address()}, 10s));
  const std::string identity = homed_at(a.address(), {a.address(), b.address()});
  auto before = local.add(identity, 10);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->node(), a.address());

  const auto killed_at = Steady::now();
  a.kill();
  // A message sent while the connection to a still looks up may be lost
  // with it (the ask fails kUnreachable: at most once). Once this node has
  // seen a's connection go, messages wait for the new activation: the next
  // one answers from b, a fresh activation.
  ASSERT_TRUE(local.run(local.node->wait_gone(a.address(), 10s)));
  auto after = local.add(identity, 1, 20s);
  const auto failover = Steady::now() - killed_at;
  ASSERT_TRUE(after) << to_string(after.error());
  EXPECT_EQ(after->node(), b.address());
  EXPECT_EQ(after->value(), 1);
  EXPECT_LT(failover, 2s + 2s) << "within the TTL and two seconds";
}

TEST(VirtualActors, AHostCutOffFromEtcdStopsItsActivationsBeforeAnotherNodeTakesThemOver) {
  troupe::test::EtcdServer etcd;
  troupe::test::TcpProxy proxy(etcd.endpoint());
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 2s, .host_counter = true});
  ClusterChild a(proxy.endpoint(), {"--ttl", "2"});
  ASSERT_TRUE(local.wait_members({local.node->name(), a.address()}, 10s));
  const std::string identity = homed_at(a.address(), {local.node->name(), a.address()});
  auto before = local.add(identity, 1);
  ASSERT_TRUE(before);
  ASSERT_EQ(before->node(), a.address());

  // a still runs and still talks to this node, but not to etcd.
  proxy.cut(troupe::test::TcpProxy::Cut::kBlackhole);
  auto stopped = a.wait_line("STOPPED", 10s);
  ASSERT_TRUE(stopped) << "a never gave up its activation";
  ASSERT_EQ(stopped->size(), 4u);
  EXPECT_EQ((*stopped)[1], identity);
  const std::int64_t stopped_us = std::stoll((*stopped)[3]);

  // What was on its way to the stopped activation fails (kDeadActor) until
  // this node has its Down; then the next message waits for a's lease to
  // expire, and is placed here.
  auto after = local.add(identity, 1, 20s);
  for (int tries = 0; !after && after.error() == troupe::AskError::kDeadActor && tries < 100;
       ++tries) {
    (void)local.next_event(10ms);  // a bounded pause between tries
    after = local.add(identity, 1, 20s);
  }
  ASSERT_TRUE(after) << to_string(after.error());
  EXPECT_EQ(after->node(), local.node->name());
  EXPECT_LT(stopped_us, after->started_us()) << "two activations at once";

  // etcd is back for a: it joins again, and is a member as before.
  proxy.heal();
  EXPECT_TRUE(local.wait_members({local.node->name(), a.address()}, 20s));
}

TEST(VirtualActors, AClusterRidesOutAnEtcdRestart) {
  troupe::test::EtcdServer etcd;
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 2s, .host_counter = true});
  ClusterChild a(etcd.endpoint(), {"--ttl", "2"});
  ASSERT_TRUE(local.wait_members({local.node->name(), a.address()}, 10s));
  ASSERT_TRUE(local.add("steady", 1));
  etcd.stop();
  etcd.start();
  // Both nodes are members again, and virtual actors are placed again.
  ASSERT_TRUE(local.run(local.cluster->wait_joined(20s)));
  ASSERT_TRUE(local.wait_members({local.node->name(), a.address()}, 20s));
  for (const std::string& id :
       {std::string("steady"), homed_at(a.address(), {local.node->name(), a.address()})}) {
    auto r = local.add(id, 1, 20s);
    ASSERT_TRUE(r) << id << ": " << to_string(r.error());
  }
}

// Forwards every Down it gets.
class DownWatcher : public troupe::Actor<DownWatcher> {
 public:
  explicit DownWatcher(troupe::MpscSender<troupe::Down> out) : out_(std::move(out)) {}
  void handle(const troupe::Down& d) { (void)out_.try_send(d); }

 private:
  troupe::MpscSender<troupe::Down> out_;
};

TEST(VirtualActors, AMonitorGetsDownWithTheVirtualActorsIdWhenItsActivationStops) {
  troupe::test::EtcdServer etcd;
  LocalMember local(
      {.etcd = etcd.endpoint(), .ttl = 2s, .host_counter = true, .passivate_after = 300ms});
  auto [tx, rx] = troupe::channel::mpsc::unbounded<troupe::Down>();
  auto watcher = local.system.spawn<DownWatcher>(std::move(tx));
  auto counter = local.cluster->get<cluster_test::Counter>("counter", "watched");
  for (int round = 0; round < 2; ++round) {
    // Monitoring places it; each activation's end is one Down.
    counter.monitor(watcher);
    auto down =
        local.run([](troupe::MpscReceiver<troupe::Down>& rx) -> Task<std::optional<troupe::Down>> {
          auto r = co_await troupe::select(rx.next(), troupe::sleep_for(10s));
          if (r.index() != 0) co_return std::nullopt;
          co_return std::get<0>(r);
        }(rx));
    ASSERT_TRUE(down) << "round " << round;
    EXPECT_EQ(down->actor, counter.id());
    EXPECT_EQ(down->reason.kind(), troupe::ExitReason::Kind::kNormal) << "passivated";
  }
}

TEST(VirtualActors, IdentitiesListsTheActivatedOnes) {
  troupe::test::EtcdServer etcd;
  LocalMember local({.etcd = etcd.endpoint(), .ttl = 2s, .host_counter = true});
  ASSERT_TRUE(local.add("one", 1));
  ASSERT_TRUE(local.add("two", 1));
  auto ids = local.run(local.cluster->identities("counter"));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(local.run(local.cluster->identities("other")).empty());
}

}  // namespace virtual_actor_test

namespace cluster_security_test {

using namespace std::chrono_literals;
using cluster_test::LocalMember;

TEST(ClusterSecurity, MembersReachEtcdOverTlsWithClientCertificates) {
  troupe::test::TestCertificates certs;
  troupe::test::EtcdServerOptions so;
  so.cert_file = certs.path("server.pem");
  so.key_file = certs.path("server.key");
  so.ca_file = certs.path("ca.pem");
  troupe::test::EtcdServer etcd(so);
  troupe::cluster::EtcdOptions tls;
  tls.tls = troupe::cluster::EtcdTlsOptions{certs.path("ca.pem"), certs.path("client.pem"),
                                            certs.path("client.key"), ""};
  LocalMember a({.etcd = etcd.endpoint(), .host_counter = true, .etcd_options = tls});
  LocalMember b({.etcd = etcd.endpoint(), .etcd_options = tls});
  ASSERT_TRUE(b.wait_members({a.node->name(), b.node->name()}, 10s));
  auto r = b.add("secure", 2);
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->node(), a.node->name());

  // Without a client certificate, etcd refuses: the node never joins, and says why.
  troupe::cluster::EtcdOptions no_cert;
  no_cert.tls = troupe::cluster::EtcdTlsOptions{certs.path("ca.pem"), "", "", ""};
  no_cert.call_timeout = 1s;
  LocalMember stranger({.etcd = etcd.endpoint(), .etcd_options = no_cert, .must_join = false});
  EXPECT_FALSE(stranger.run(stranger.cluster->wait_joined(3s)));
  EXPECT_NE(stranger.log().find("cannot get a lease"), std::string::npos) << stranger.log();
}

TEST(ClusterSecurity, MembersLogInToEtcdAndAWrongPasswordIsRefusedWithAClearLine) {
  troupe::test::EtcdServer etcd;
  std::string out;
  ASSERT_EQ(etcd.etcdctl({"user", "add", "root:s3cret"}, &out), 0) << out;
  ASSERT_EQ(etcd.etcdctl({"auth", "enable"}, &out), 0) << out;
  troupe::cluster::EtcdOptions login;
  login.user = "root";
  login.password = "s3cret";
  LocalMember a({.etcd = etcd.endpoint(), .host_counter = true, .etcd_options = login});
  auto r = a.add("logged-in", 1);
  ASSERT_TRUE(r) << to_string(r.error());

  troupe::cluster::EtcdOptions wrong = login;
  wrong.password = "guess";
  LocalMember stranger({.etcd = etcd.endpoint(), .etcd_options = wrong, .must_join = false});
  EXPECT_FALSE(stranger.run(stranger.cluster->wait_joined(3s)));
  EXPECT_NE(stranger.log().find("authentication failed"), std::string::npos) << stranger.log();
  EXPECT_EQ(a.cluster->members().size(), 1u) << "the stranger is no member";
}

}  // namespace cluster_security_test
