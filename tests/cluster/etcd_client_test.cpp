// The etcd client (cluster/detail/etcd_client.hpp) against real etcd
// processes on loopback (tests/support/etcd_server.hpp), some reached
// through a proxy that can cut one client off (tests/support/tcp_proxy.hpp):
// keys, transactions, leases and their keeper, watches, endpoints and
// deadlines, user/password auth and TLS.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/cluster/detail/etcd_client.hpp>
#include <troupe/cluster/detail/key_range.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>

#include "../support/etcd_server.hpp"
#include "../support/tcp_proxy.hpp"

namespace etcd_client_test {

using namespace std::chrono_literals;
using troupe::Clock;
using troupe::Duration;
using troupe::Instant;
using troupe::JoinHandle;
using troupe::Runtime;
using troupe::Task;
using troupe::cluster::detail::CasResult;
using troupe::cluster::detail::CreateResult;
using troupe::cluster::detail::EtcdClient;
using troupe::cluster::detail::EtcdError;
using troupe::cluster::detail::EtcdOptions;
using troupe::cluster::detail::EtcdResult;
using troupe::cluster::detail::EtcdTlsOptions;
using troupe::cluster::detail::EtcdWatch;
using troupe::cluster::detail::KeyValue;
using troupe::cluster::detail::LeaseEvent;
using troupe::cluster::detail::LeaseGrant;
using troupe::cluster::detail::LeaseKeeper;
using troupe::cluster::detail::LeaseKeeperOptions;
using troupe::cluster::detail::LeaseStatus;
using troupe::cluster::detail::WatchBatch;
using troupe::cluster::detail::WatchEvent;
using troupe::test::EtcdServer;
using troupe::test::EtcdServerOptions;
using troupe::test::TcpProxy;
using troupe::test::TestCertificates;

EtcdClient client_for(std::vector<std::string> endpoints, EtcdOptions options = {}) {
  options.endpoints = std::move(endpoints);
  auto c = EtcdClient::create(std::move(options));
  if (!c) throw std::runtime_error(c.error().message());
  return *c;
}

EtcdClient client_for(const std::string& endpoint, EtcdOptions options = {}) {
  return client_for(std::vector<std::string>{endpoint}, std::move(options));
}

std::string value_of(const EtcdResult<std::optional<KeyValue>>& r) {
  if (!r) return "<error: " + r.error().message() + ">";
  return *r ? (*r)->value : "<none>";
}

// LeaseKeeper starts its task on the runtime of the calling task.
Task<LeaseKeeper> start_keeper(EtcdClient c, LeaseGrant grant, LeaseKeeperOptions options) {
  co_return c.keep_alive(grant, options);
}

// Milliseconds, for timing assertions that print readably.
std::int64_t ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// The keeper's next report, and when this task saw it; nothing within `limit`.
struct Seen {
  std::optional<LeaseEvent> event;
  Instant at{};
};
Task<Seen> next_event(LeaseKeeper* keeper, Duration limit) {
  auto r = co_await troupe::select(keeper->events().next(), troupe::sleep_for(limit));
  Seen seen;
  seen.at = Clock::now();
  if (r.index() == 0) seen.event = std::get<0>(r);
  co_return seen;
}

// The watch's next batch, or nothing within `limit`.
Task<std::optional<EtcdResult<WatchBatch>>> next_batch(EtcdWatch* w, Duration limit) {
  auto r = co_await troupe::select(w->next(), troupe::sleep_for(limit));
  if (r.index() == 1) co_return std::nullopt;
  co_return std::move(std::get<0>(r));
}

// The next `n` events of the watch (fewer if it fails or `limit` passes).
Task<std::vector<WatchEvent>> collect(EtcdWatch* w, std::size_t n, Duration limit) {
  const Instant end = Clock::now() + limit;
  std::vector<WatchEvent> events;
  while (events.size() < n) {
    auto r = co_await troupe::select(w->next(), troupe::sleep_until(end));
    if (r.index() == 1) break;
    EtcdResult<WatchBatch>& batch = std::get<0>(r);
    if (!batch) break;
    for (auto& e : batch->events) events.push_back(std::move(e));
  }
  co_return events;
}

// A get, tried again (after a short pause) until it succeeds or `limit`
// passes: for an etcd coming back.
Task<EtcdResult<std::optional<KeyValue>>> get_when_back(EtcdClient c, std::string key,
                                                        Duration limit) {
  const Instant end = Clock::now() + limit;
  while (true) {
    EtcdResult<std::optional<KeyValue>> r = co_await c.get(key);
    if (r || Clock::now() >= end) co_return r;
    co_await troupe::sleep_for(50ms);
  }
}

EtcdOptions with_timeout(Duration d) {
  EtcdOptions o;
  o.call_timeout = d;
  return o;
}

// --- Keys ---------------------------------------------------------------------

TEST(EtcdKeyRange, PrefixEndIncrementsTheLastByteBelow0xff) {
  using troupe::cluster::detail::prefix_range;
  EXPECT_EQ(prefix_range("a/").range_end, "a0");
  EXPECT_EQ(prefix_range("ab").range_end, "ac");
  EXPECT_EQ(prefix_range(std::string("a\xff", 2)).range_end, "b");
  EXPECT_EQ(prefix_range(std::string("\xff\xff", 2)).range_end, std::string(1, '\0'));
  const auto all = prefix_range("");
  EXPECT_EQ(all.key, std::string(1, '\0'));
  EXPECT_EQ(all.range_end, std::string(1, '\0'));
}

TEST(EtcdKv, PutGetGetPrefixAndErase) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());

  auto r1 = rt.block_on(c.put("a/1", "one"));
  ASSERT_TRUE(r1) << r1.error().message();
  auto r2 = rt.block_on(c.put("a/2", "two"));
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_GT(*r2, *r1);
  ASSERT_TRUE(rt.block_on(c.put("a0", "outside")));  // right after the prefix's range
  ASSERT_TRUE(rt.block_on(c.put("b/1", "other")));

  auto one = rt.block_on(c.get("a/1"));
  ASSERT_TRUE(one) << one.error().message();
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->value, "one");
  EXPECT_EQ((*one)->create_revision, *r1);
  EXPECT_EQ((*one)->mod_revision, *r1);
  EXPECT_EQ((*one)->version, 1);
  EXPECT_EQ((*one)->lease, 0);
  EXPECT_EQ(value_of(rt.block_on(c.get("a/3"))), "<none>");

  auto prefix = rt.block_on(c.get_prefix("a/"));
  ASSERT_TRUE(prefix) << prefix.error().message();
  ASSERT_EQ(prefix->kvs.size(), 2u);
  EXPECT_EQ(prefix->kvs[0].key, "a/1");
  EXPECT_EQ(prefix->kvs[1].key, "a/2");
  EXPECT_EQ(prefix->kvs[1].value, "two");
  EXPECT_GE(prefix->revision, *r2);

  auto again = rt.block_on(c.put("a/1", "uno"));
  ASSERT_TRUE(again);
  auto updated = rt.block_on(c.get("a/1"));
  ASSERT_TRUE(updated && updated->has_value());
  EXPECT_EQ((*updated)->value, "uno");
  EXPECT_EQ((*updated)->create_revision, *r1);
  EXPECT_EQ((*updated)->mod_revision, *again);
  EXPECT_EQ((*updated)->version, 2);

  auto erased = rt.block_on(c.erase("a/1"));
  ASSERT_TRUE(erased) << erased.error().message();
  EXPECT_EQ(*erased, 1);
  EXPECT_EQ(*rt.block_on(c.erase("a/1")), 0);
  EXPECT_EQ(value_of(rt.block_on(c.get("a/1"))), "<none>");

  auto gone = rt.block_on(c.erase_prefix("a/"));
  ASSERT_TRUE(gone) << gone.error().message();
  EXPECT_EQ(*gone, 1);
  EXPECT_TRUE(rt.block_on(c.get_prefix("a/"))->kvs.empty());
  EXPECT_EQ(value_of(rt.block_on(c.get("a0"))), "outside");
  EXPECT_EQ(value_of(rt.block_on(c.get("b/1"))), "other");
}

// --- Transactions ---------------------------------------------------------------

Task<std::vector<EtcdResult<CreateResult>>> create_race(std::vector<EtcdClient> clients,
                                                        int per_client) {
  std::vector<JoinHandle<EtcdResult<CreateResult>>> racers;
  for (std::size_t i = 0; i < clients.size(); ++i)
    for (int j = 0; j < per_client; ++j)
      racers.push_back(troupe::spawn(clients[i].create_if_absent(
          "race/lock", "owner-" + std::to_string(i) + "-" + std::to_string(j))));
  std::vector<EtcdResult<CreateResult>> results;
  for (auto& r : racers) results.push_back(co_await r);
  co_return results;
}

TEST(EtcdTxn, CreateIfAbsentFromManyTasksHasExactlyOneWinner) {
  EtcdServer etcd;
  Runtime rt;
  std::vector<EtcdClient> clients;  // each its own connection, like separate nodes
  for (int i = 0; i < 4; ++i) clients.push_back(client_for(etcd.endpoint()));
  const auto results = rt.block_on(create_race(clients, 8));
  ASSERT_EQ(results.size(), 32u);
  int winners = 0;
  std::string winner;
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().message();
    if (r->created) {
      ++winners;
      winner = r->current.value;
    }
  }
  ASSERT_EQ(winners, 1);
  for (const auto& r : results) {
    EXPECT_EQ(r->current.value, winner);  // the losers learn who holds it
    EXPECT_EQ(r->current.create_revision, results[0].value().current.create_revision);
  }
  EXPECT_EQ(value_of(rt.block_on(clients[0].get("race/lock"))), winner);
}

TEST(EtcdTxn, PutIfAndEraseIfCompareTheModRevision) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());
  const auto first = rt.block_on(c.put("cas/k", "v1"));
  ASSERT_TRUE(first);

  EtcdResult<CasResult> stale = rt.block_on(c.put_if("cas/k", "v2", *first - 1));
  ASSERT_TRUE(stale) << stale.error().message();
  EXPECT_FALSE(stale->succeeded);
  ASSERT_TRUE(stale->current);
  EXPECT_EQ(stale->current->value, "v1");
  EXPECT_EQ(stale->current->mod_revision, *first);

  EtcdResult<CasResult> ok = rt.block_on(c.put_if("cas/k", "v2", *first));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_TRUE(ok->succeeded);
  ASSERT_TRUE(ok->current);
  EXPECT_EQ(ok->current->value, "v2");
  EXPECT_GT(ok->current->mod_revision, *first);
  EXPECT_EQ(ok->current->mod_revision, ok->revision);

  EtcdResult<CasResult> keep = rt.block_on(c.erase_if("cas/k", *first));
  ASSERT_TRUE(keep);
  EXPECT_FALSE(keep->succeeded);
  ASSERT_TRUE(keep->current);
  EXPECT_EQ(keep->current->value, "v2");

  EtcdResult<CasResult> erased = rt.block_on(c.erase_if("cas/k", ok->current->mod_revision));
  ASSERT_TRUE(erased);
  EXPECT_TRUE(erased->succeeded);
  EXPECT_FALSE(erased->current);
  EXPECT_EQ(value_of(rt.block_on(c.get("cas/k"))), "<none>");

  // mod_revision 0 is "absent".
  EtcdResult<CasResult> created = rt.block_on(c.put_if("cas/k", "v3", 0));
  ASSERT_TRUE(created);
  EXPECT_TRUE(created->succeeded);
  EXPECT_FALSE(rt.block_on(c.put_if("cas/k", "v4", 0))->succeeded);
  EXPECT_EQ(value_of(rt.block_on(c.get("cas/k"))), "v3");
}

// --- Leases ---------------------------------------------------------------------

TEST(EtcdLease, RevokeDeletesTheKeysUnderIt) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());
  auto grant = rt.block_on(c.grant(30s));
  ASSERT_TRUE(grant) << grant.error().message();
  EXPECT_NE(grant->id, 0);
  EXPECT_EQ(grant->ttl, 30s);
  ASSERT_TRUE(rt.block_on(c.put("lease/k", "v", grant->id)));
  auto kv = rt.block_on(c.get("lease/k"));
  ASSERT_TRUE(kv && kv->has_value());
  EXPECT_EQ((*kv)->lease, grant->id);

  auto revoked = rt.block_on(c.revoke(grant->id));
  ASSERT_TRUE(revoked) << revoked.error().message();
  EXPECT_EQ(value_of(rt.block_on(c.get("lease/k"))), "<none>");
  auto twice = rt.block_on(c.revoke(grant->id));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), grpc::StatusCode::NOT_FOUND) << twice.error().message();
}

TEST(EtcdLease, AKeyUnderALeaseNobodyKeepsAliveGoesAfterTheTtl) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());
  auto grant = rt.block_on(c.grant(1s));
  ASSERT_TRUE(grant) << grant.error().message();
  ASSERT_GE(grant->ttl, 1s);
  auto put = rt.block_on(c.put("ttl/k", "v", grant->id));
  ASSERT_TRUE(put);
  auto watch = rt.block_on(c.watch_prefix("ttl/", *put + 1));
  ASSERT_TRUE(watch) << watch.error().message();

  auto events = rt.block_on(collect(&*watch, 1, grant->ttl + 5s));
  const Instant seen = Clock::now();
  ASSERT_EQ(events.size(), 1u) << "the key outlived its lease";
  EXPECT_EQ(events[0].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[0].kv.key, "ttl/k");
  // etcd starts the TTL after the grant was sent: never gone before that.
  EXPECT_GE(ms(seen - grant->sent_at), ms(grant->ttl));
  EXPECT_EQ(value_of(rt.block_on(c.get("ttl/k"))), "<none>");
}

TEST(EtcdLease, TheKeeperKeepsAKeyAlivePastSeveralTtls) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());
  auto grant = rt.block_on(c.grant(1s));
  ASSERT_TRUE(grant) << grant.error().message();
  std::optional<LeaseKeeper> keeper = rt.block_on(start_keeper(c, *grant, {}));
  Seen alive = rt.block_on(next_event(&*keeper, 5s));
  ASSERT_TRUE(alive.event);
  EXPECT_EQ(alive.event->status, LeaseStatus::kAlive);
  EXPECT_GT(ms(alive.event->valid_until - alive.event->renewed_at), 0);
  auto put = rt.block_on(c.put("kept/k", "v", grant->id));
  ASSERT_TRUE(put);
  auto watch = rt.block_on(c.watch_prefix("kept/", *put + 1));
  ASSERT_TRUE(watch) << watch.error().message();

  // Four TTLs without a delete: the keep-alives hold the key.
  const Duration window = 4 * grant->ttl;
  auto during = rt.block_on(collect(&*watch, 1, window));
  EXPECT_TRUE(during.empty()) << "the key was deleted while its lease was kept alive";
  EXPECT_EQ(value_of(rt.block_on(c.get("kept/k"))), "v");
  EXPECT_GT(ms(keeper->valid_until() - Clock::now()), 0);
  // Renewals moved the deadline on, well past the first confirmation's.
  EXPECT_GT(ms(keeper->valid_until() - alive.event->valid_until), ms(grant->ttl));

  keeper.reset();  // no more keep-alives: the key goes within about a TTL
  auto after = rt.block_on(collect(&*watch, 1, grant->ttl + 5s));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].type, WatchEvent::Type::kDelete);
}

TEST(EtcdLease, TheKeeperReportsExpiryWhenEtcdSaysTheLeaseIsGone) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());
  auto grant = rt.block_on(c.grant(5s));
  ASSERT_TRUE(grant);
  LeaseKeeperOptions o;
  o.interval = 100ms;
  LeaseKeeper keeper = rt.block_on(start_keeper(c, *grant, o));
  Seen alive = rt.block_on(next_event(&keeper, 5s));
  ASSERT_TRUE(alive.event);
  ASSERT_EQ(alive.event->status, LeaseStatus::kAlive);

  ASSERT_TRUE(rt.block_on(c.revoke(grant->id)));
  Seen expired = rt.block_on(next_event(&keeper, 3s));
  ASSERT_TRUE(expired.event) << "no report within 3 s of the revoke";
  EXPECT_EQ(expired.event->status, LeaseStatus::kExpired) << expired.event->detail;
  EXPECT_TRUE(keeper.valid_until() < Clock::now()) << "still valid after the loss";
  // The final report ends the stream of events.
  const Instant before = Clock::now();
  Seen end = rt.block_on(next_event(&keeper, 3s));
  EXPECT_FALSE(end.event) << "a report after the final one";
  EXPECT_LT(ms(end.at - before), 1000) << "the events did not end";
}

TEST(EtcdLease, TheKeeperReportsLostBeforeTheTtlWhenEtcdFreezes) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());
  auto grant = rt.block_on(c.grant(2s));
  ASSERT_TRUE(grant);
  LeaseKeeper keeper = rt.block_on(start_keeper(c, *grant, {}));
  Seen alive = rt.block_on(next_event(&keeper, 5s));
  ASSERT_TRUE(alive.event);
  ASSERT_EQ(alive.event->status, LeaseStatus::kAlive);

  const Instant frozen_at = Clock::now();
  etcd.pause();
  Seen lost = rt.block_on(next_event(&keeper, grant->ttl + 3s));
  etcd.resume();
  ASSERT_TRUE(lost.event) << "no report within TTL + 3 s of the freeze";
  EXPECT_EQ(lost.event->status, LeaseStatus::kLost);
  EXPECT_FALSE(lost.event->detail.empty());
  // A frozen etcd confirms nothing: the last confirmed keep-alive was sent
  // before the freeze, and the lease lives at least TTL from its sending.
  const Instant renewed = lost.event->renewed_at;
  EXPECT_LE(ms(renewed - frozen_at), 0);
  EXPECT_LT(ms(lost.at - renewed), ms(grant->ttl)) << "reported after the lease could expire";
  // ...and not long before: the keeper used the renewals it got (the
  // default margin is TTL / 5).
  const Duration margin = Duration(grant->ttl) / 5;
  EXPECT_GE(ms(lost.at - renewed), ms(grant->ttl - margin - 50ms));
  EXPECT_GE(ms(lost.at - frozen_at), 0);
  EXPECT_TRUE(keeper.valid_until() < Clock::now()) << "still valid after the loss";
}

// Node A holds a key under a kept lease, through a proxy; node B reaches
// etcd directly and waits to take the key. Cut A off: A must report the
// lease lost before B can take the key over.
Task<Instant> take_over(EtcdClient b, std::int64_t after_revision) {
  EtcdResult<EtcdWatch> watch = co_await b.watch_prefix("leader", after_revision);
  if (!watch) co_return Instant{};
  const Instant end = Clock::now() + 15s;
  while (Clock::now() < end) {
    EtcdResult<CreateResult> r = co_await b.create_if_absent("leader", "B");
    if (r && r->created) co_return Clock::now();
    auto batch = co_await troupe::select(watch->next(), troupe::sleep_until(end));
    if (batch.index() == 1 || !std::get<0>(batch)) break;
  }
  co_return Instant{};
}

void cut_off_holder_reports_lost_first(TcpProxy::Cut how) {
  EtcdServer etcd;
  TcpProxy proxy(etcd.endpoint());
  Runtime rt;
  EtcdClient a = client_for(proxy.endpoint());
  EtcdClient b = client_for(etcd.endpoint());
  auto grant = rt.block_on(a.grant(2s));
  ASSERT_TRUE(grant) << grant.error().message();
  LeaseKeeper keeper = rt.block_on(start_keeper(a, *grant, {}));
  Seen alive = rt.block_on(next_event(&keeper, 5s));
  ASSERT_TRUE(alive.event);
  ASSERT_EQ(alive.event->status, LeaseStatus::kAlive);
  auto held = rt.block_on(a.create_if_absent("leader", "A", grant->id));
  ASSERT_TRUE(held) << held.error().message();
  ASSERT_TRUE(held->created);

  JoinHandle<Instant> taker = rt.spawn(take_over(b, held->revision + 1));
  const Instant cut_at = Clock::now();
  proxy.cut(how);
  Seen lost = rt.block_on(next_event(&keeper, grant->ttl + 3s));
  const Instant taken_at = taker.wait();
  ASSERT_TRUE(lost.event) << "no report within TTL + 3 s of the cut";
  EXPECT_EQ(lost.event->status, LeaseStatus::kLost);
  EXPECT_GE(ms(lost.at - cut_at), 0);
  ASSERT_NE(taken_at, Instant{}) << "B never took the key over";
  EXPECT_GT(ms(taken_at - lost.at), 0) << "A reported the loss only after B held the key";
  EXPECT_LT(ms(lost.at - lost.event->renewed_at), ms(grant->ttl));
  EXPECT_EQ(value_of(rt.block_on(b.get("leader"))), "B");
}

TEST(EtcdLease, ACutOffHolderReportsLostBeforeAnotherNodeTakesTheKey) {
  cut_off_holder_reports_lost_first(TcpProxy::Cut::kRefuse);
}

TEST(EtcdLease, ABlackholedHolderReportsLostBeforeAnotherNodeTakesTheKey) {
  cut_off_holder_reports_lost_first(TcpProxy::Cut::kBlackhole);
}

// --- Watches --------------------------------------------------------------------

TEST(EtcdWatch, SeesPutsAndDeletesInOrderFromAStartRevision) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());
  ASSERT_TRUE(rt.block_on(c.put("w/a", "1")));
  auto read = rt.block_on(c.get_prefix("w/"));
  ASSERT_TRUE(read);
  ASSERT_EQ(read->kvs.size(), 1u);
  // Changes after the read, before the watch exists.
  ASSERT_TRUE(rt.block_on(c.put("w/b", "2")));
  ASSERT_TRUE(rt.block_on(c.put("other/x", "not watched")));
  ASSERT_TRUE(rt.block_on(c.put("w/a", "3")));
  ASSERT_TRUE(rt.block_on(c.erase("w/b")));

  auto watch = rt.block_on(c.watch_prefix("w/", read->revision + 1));
  ASSERT_TRUE(watch) << watch.error().message();
  EXPECT_EQ(watch->start_revision(), read->revision + 1);
  auto events = rt.block_on(collect(&*watch, 3, 5s));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(events[0].kv.key, "w/b");
  EXPECT_EQ(events[0].kv.value, "2");
  EXPECT_EQ(events[0].kv.version, 1);
  EXPECT_EQ(events[1].type, WatchEvent::Type::kPut);
  EXPECT_EQ(events[1].kv.key, "w/a");
  EXPECT_EQ(events[1].kv.value, "3");
  EXPECT_EQ(events[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(events[2].kv.key, "w/b");
  EXPECT_GT(events[0].kv.mod_revision, read->revision);
  EXPECT_LT(events[0].kv.mod_revision, events[1].kv.mod_revision);
  EXPECT_LT(events[1].kv.mod_revision, events[2].kv.mod_revision);

  // And live ones.
  auto live = rt.block_on(c.put("w/c", "4"));
  ASSERT_TRUE(live);
  auto next = rt.block_on(collect(&*watch, 1, 5s));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].kv.key, "w/c");
  EXPECT_EQ(next[0].kv.mod_revision, *live);

  // From the read's own revision, the read's put comes first.
  auto from_read = rt.block_on(c.watch_prefix("w/", read->revision));
  ASSERT_TRUE(from_read);
  auto replay = rt.block_on(collect(&*from_read, 1, 5s));
  ASSERT_GE(replay.size(), 1u);  // history comes in one batch: the four changes above, too
  EXPECT_EQ(replay[0].kv.key, "w/a");
  EXPECT_EQ(replay[0].kv.value, "1");
}

TEST(EtcdWatch, ReportsACompactedStartRevision) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());
  ASSERT_TRUE(rt.block_on(c.put("old/k", "1")));
  ASSERT_TRUE(rt.block_on(c.put("old/k", "2")));
  auto last = rt.block_on(c.put("old/k", "3"));
  ASSERT_TRUE(last);
  std::string out;
  ASSERT_EQ(etcd.etcdctl({"compact", std::to_string(*last)}, &out), 0) << out;

  // etcd confirms the watch, then cancels it: either way, an error.
  auto watch = rt.block_on(c.watch_prefix("old/", 1));
  std::optional<EtcdError> error;
  if (!watch) {
    error = watch.error();
  } else if (auto r = rt.block_on(next_batch(&*watch, 5s)); r && !*r) {
    error = r->error();
  }
  ASSERT_TRUE(error) << "a watch of compacted history gave no error";
  EXPECT_EQ(error->code(), grpc::StatusCode::OUT_OF_RANGE) << error->message();
  EXPECT_NE(error->message().find("compacted"), std::string::npos) << error->message();
}

TEST(EtcdWatch, ReportsAnErrorWhenEtcdDiesAndTheClientWorksOnceItIsBack) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint());
  auto put = rt.block_on(c.put("dies/k", "before"));
  ASSERT_TRUE(put);
  auto watch = rt.block_on(c.watch_prefix("dies/", *put + 1));
  ASSERT_TRUE(watch) << watch.error().message();

  etcd.kill();
  auto r = rt.block_on(next_batch(&*watch, 10s));
  ASSERT_TRUE(r) << "the watch stayed silent after etcd died";
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code(), grpc::StatusCode::UNAVAILABLE) << r->error().message();
  EXPECT_EQ(r->error().operation(), "watch");
  auto again = rt.block_on(watch->next());  // an ended watch stays ended
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), r->error().code());
  auto down = rt.block_on(c.get("dies/k"));
  ASSERT_FALSE(down);
  EXPECT_TRUE(down.error().is_unreachable()) << down.error().message();

  etcd.start();
  auto back = rt.block_on(get_when_back(c, "dies/k", 15s));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(value_of(back), "before");  // etcd kept its data
  auto read = rt.block_on(c.get_prefix("dies/"));
  ASSERT_TRUE(read);
  auto rewatch = rt.block_on(c.watch_prefix("dies/", read->revision + 1));
  ASSERT_TRUE(rewatch) << rewatch.error().message();
  ASSERT_TRUE(rt.block_on(c.put("dies/k", "after")));
  auto events = rt.block_on(collect(&*rewatch, 1, 5s));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kv.value, "after");
}

// --- Endpoints and deadlines ------------------------------------------------------

TEST(EtcdEndpoints, CallsMoveOnToTheNextEndpoint) {
  EtcdServer etcd;
  TcpProxy proxy(etcd.endpoint());
  Runtime rt;
  // A port nobody listens on, first: gRPC cannot connect, so even a write
  // goes on to the next endpoint within the same call.
  const std::string dead = "127.0.0.1:" + std::to_string(troupe::test::free_loopback_port());
  EtcdClient c = client_for(std::vector<std::string>{dead, proxy.endpoint(), etcd.endpoint()});
  auto put = rt.block_on(c.put("ep/k", "v"));
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_GE(proxy.forwarded(), 1);  // it went through the proxy, the second endpoint

  proxy.cut();
  auto get = rt.block_on(c.get("ep/k"));  // a read is sent again to the third
  ASSERT_TRUE(get) << get.error().message();
  EXPECT_EQ(value_of(get), "v");
  auto put2 = rt.block_on(c.put("ep/k", "w"));
  ASSERT_TRUE(put2) << put2.error().message();
  EXPECT_EQ(value_of(rt.block_on(c.get("ep/k"))), "w");
}

TEST(EtcdEndpoints, EveryCallEndsByItsDeadlineWhenEtcdIsFrozen) {
  EtcdServer etcd;
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint(), with_timeout(300ms));
  ASSERT_TRUE(rt.block_on(c.put("frozen/k", "v")));  // connected
  etcd.pause();
  const Instant start = Clock::now();
  auto get = rt.block_on(c.get("frozen/k"));
  auto put = rt.block_on(c.put("frozen/k", "w"));
  auto grant = rt.block_on(c.grant(5s));
  auto watch = rt.block_on(c.watch_prefix("frozen/", 0));
  const Duration took = Clock::now() - start;
  etcd.resume();
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code(), grpc::StatusCode::DEADLINE_EXCEEDED) << get.error().message();
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code(), grpc::StatusCode::DEADLINE_EXCEEDED) << put.error().message();
  EXPECT_NE(put.error().message().find("put \"frozen/k\""), std::string::npos)
      << put.error().message();
  ASSERT_FALSE(grant);
  EXPECT_TRUE(grant.error().is_unreachable()) << grant.error().message();
  ASSERT_FALSE(watch);
  EXPECT_EQ(watch.error().code(), grpc::StatusCode::DEADLINE_EXCEEDED) << watch.error().message();
  EXPECT_LT(ms(took), 4 * 300 + 1000);
  // Once thawed, etcd answers again. The put that timed out may still
  // have been applied: it was on its way when etcd froze (which is why
  // the client does not send a write again after a deadline).
  auto thawed = rt.block_on(get_when_back(c, "frozen/k", 5s));
  const std::string value = value_of(thawed);
  EXPECT_TRUE(value == "v" || value == "w") << value;
}

TEST(EtcdClientOptions, BadOptionsAreErrorsNotExceptions) {
  auto none = EtcdClient::create({});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EtcdOptions o;
  o.endpoints = {"127.0.0.1:1"};
  o.tls = EtcdTlsOptions{"/nonexistent/ca.pem", "", "", ""};
  auto bad_tls = EtcdClient::create(o);
  ASSERT_FALSE(bad_tls);
  EXPECT_NE(bad_tls.error().message().find("/nonexistent/ca.pem"), std::string::npos)
      << bad_tls.error().message();
  EXPECT_THROW((void)bad_tls.value(), troupe::cluster::detail::EtcdFailed);
}

// --- Auth and TLS ---------------------------------------------------------------

void enable_auth(const EtcdServer& etcd, const std::string& password) {
  std::string out;
  ASSERT_EQ(etcd.etcdctl({"user", "add", "root:" + password}, &out), 0) << out;
  ASSERT_EQ(etcd.etcdctl({"auth", "enable"}, &out), 0) << out;
}

EtcdOptions login(const std::string& user, const std::string& password) {
  EtcdOptions o;
  o.user = user;
  o.password = password;
  return o;
}

TEST(EtcdAuth, AUserAndPasswordLogInAndAWrongPasswordSaysSo) {
  EtcdServer etcd;
  enable_auth(etcd, "s3cret");
  Runtime rt;
  EtcdClient root = client_for(etcd.endpoint(), login("root", "s3cret"));
  auto put = rt.block_on(root.put("auth/k", "v"));
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(value_of(rt.block_on(root.get("auth/k"))), "v");
  // Leases and watches carry the token too.
  auto grant = rt.block_on(root.grant(5s));
  ASSERT_TRUE(grant) << grant.error().message();
  LeaseKeeper keeper = rt.block_on(start_keeper(root, *grant, {}));
  Seen alive = rt.block_on(next_event(&keeper, 5s));
  ASSERT_TRUE(alive.event);
  EXPECT_EQ(alive.event->status, LeaseStatus::kAlive) << alive.event->detail;
  auto watch = rt.block_on(root.watch_prefix("auth/", *put + 1));
  ASSERT_TRUE(watch) << watch.error().message();
  ASSERT_TRUE(rt.block_on(root.put("auth/k", "w")));
  EXPECT_EQ(rt.block_on(collect(&*watch, 1, 5s)).size(), 1u);

  EtcdClient wrong = client_for(etcd.endpoint(), login("root", "guess"));
  auto denied = rt.block_on(wrong.get("auth/k"));
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(denied.error().message().find("authenticate as \"root\""), std::string::npos)
      << denied.error().message();
  EXPECT_NE(denied.error().message().find("authentication failed"), std::string::npos)
      << denied.error().message();

  EtcdClient anonymous = client_for(etcd.endpoint());
  auto refused = rt.block_on(anonymous.put("auth/k", "x"));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("user name is empty"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(value_of(rt.block_on(root.get("auth/k"))), "w");
}

// Opens a watch, tried again until it works or `limit` passes.
Task<EtcdResult<EtcdWatch>> watch_when_back(EtcdClient c, std::string prefix, Duration limit) {
  const Instant end = Clock::now() + limit;
  while (true) {
    EtcdResult<EtcdWatch> w = co_await c.watch_prefix(prefix, 0);
    if (w || Clock::now() >= end) co_return w;
    co_await troupe::sleep_for(50ms);
  }
}

// Waits until the keeper's lease is sure to live past `t`.
Task<bool> valid_past(LeaseKeeper* keeper, Instant t, Duration limit) {
  const Instant end = Clock::now() + limit;
  while (keeper->valid_until() <= t) {
    if (Clock::now() >= end) co_return false;
    co_await troupe::sleep_for(20ms);
  }
  co_return true;
}

TEST(EtcdAuth, TheClientLogsInAgainWhenEtcdForgetsItsToken) {
  EtcdServer etcd;
  enable_auth(etcd, "s3cret");
  Runtime rt;
  EtcdClient c = client_for(etcd.endpoint(), login("root", "s3cret"));
  ASSERT_TRUE(rt.block_on(c.put("relogin/k", "v")));
  auto grant = rt.block_on(c.grant(10s));
  ASSERT_TRUE(grant) << grant.error().message();
  LeaseKeeperOptions o;
  o.interval = 200ms;
  LeaseKeeper keeper = rt.block_on(start_keeper(c, *grant, o));
  Seen alive = rt.block_on(next_event(&keeper, 5s));
  ASSERT_TRUE(alive.event);
  ASSERT_EQ(alive.event->status, LeaseStatus::kAlive) << alive.event->detail;

  // etcd's simple tokens live in its memory: a restart invalidates them,
  // and only a new login gets the client through again. (etcd 3.4 checks
  // no token on keep-alives: the keeper just reconnects.) The watch is the
  // first to find out, then the get.
  etcd.stop();
  etcd.start();
  const Instant restarted = Clock::now();
  // A renewal sent after the restart, and confirmed.
  const Duration margin = Duration(grant->ttl) / 5;
  EXPECT_TRUE(rt.block_on(valid_past(&keeper, restarted + grant->ttl - margin, 10s)));
  auto watch = rt.block_on(watch_when_back(c, "relogin/", 15s));
  ASSERT_TRUE(watch) << watch.error().message();
  auto back = rt.block_on(get_when_back(c, "relogin/k", 15s));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(value_of(back), "v");
  ASSERT_TRUE(rt.block_on(c.put("relogin/k", "w")));
  EXPECT_EQ(rt.block_on(collect(&*watch, 1, 5s)).size(), 1u);
}

TEST(EtcdTls, ClientCertificatesOverTls) {
  TestCertificates certs;
  EtcdServerOptions so;
  so.cert_file = certs.path("server.pem");
  so.key_file = certs.path("server.key");
  so.ca_file = certs.path("ca.pem");
  EtcdServer etcd(so);
  Runtime rt;

  EtcdOptions tls;
  tls.tls =
      EtcdTlsOptions{certs.path("ca.pem"), certs.path("client.pem"), certs.path("client.key"), ""};
  EtcdClient c = client_for(etcd.endpoint(), tls);
  auto put = rt.block_on(c.put("tls/k", "v"));
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(value_of(rt.block_on(c.get("tls/k"))), "v");
  auto watch = rt.block_on(c.watch_prefix("tls/", *put + 1));
  ASSERT_TRUE(watch) << watch.error().message();

  EtcdClient plain = client_for(etcd.endpoint(), with_timeout(1s));
  auto refused = rt.block_on(plain.get("tls/k"));
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is_unreachable()) << refused.error().message();

  EtcdOptions no_cert = with_timeout(1s);
  no_cert.tls = EtcdTlsOptions{certs.path("ca.pem"), "", "", ""};
  auto anonymous = rt.block_on(client_for(etcd.endpoint(), no_cert).get("tls/k"));
  ASSERT_FALSE(anonymous) << "etcd took a client without a certificate";
}

}  // namespace etcd_client_test
