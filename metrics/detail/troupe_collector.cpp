#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <utility>

#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/dead_letter.hpp>
#include <troupe/actor/system_dump.hpp>
#include <troupe/metrics/detail/troupe_collector.hpp>
#include <troupe/runtime/detail/metrics_counters.hpp>
#ifdef TROUPE_METRICS_WITH_REMOTE
#include <troupe/remote/node.hpp>
#endif

namespace troupe::detail {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// By DeadLetterReason, in its order (a new reason needs a name here, and a
// larger kDeadLetterReasonCount).
constexpr std::array<std::string_view, kDeadLetterReasonCount> kReasonNames = {
    "stopped", "mailbox_full", "dropped", "undecodable", "unreachable", "local_only"};
static_assert(static_cast<std::size_t>(DeadLetterReason::kMailboxFull) == 1 &&
              static_cast<std::size_t>(DeadLetterReason::kLocalOnly) + 1 == kDeadLetterReasonCount);

// Mailbox depths: bucket bounds of the histogram.
constexpr std::array<double, 9> kDepthBounds = {0, 1, 4, 16, 64, 256, 1024, 4096, 16384};

constexpr double kInf = std::numeric_limits<double>::infinity();

// A histogram from per-bucket (not cumulative) counts: one more count than
// bounds, the last for +Inf.
ClientMetric histogram(std::span<const std::uint64_t> counts, std::span<const double> bounds,
                       std::uint64_t samples, double sum) {
  ClientMetric h;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    h.histogram.bucket.push_back({cumulative, i < bounds.size() ? bounds[i] : kInf});
  }
  h.histogram.sample_count = samples;
  h.histogram.sample_sum = sum;
  return h;
}

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

MetricFamily single(std::string name, std::string help, MetricType type, double value) {
  MetricFamily f = family(std::move(name), std::move(help), type);
  ClientMetric m;
  if (type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  return f;
}

ClientMetric labelled(std::string label, std::string value) {
  ClientMetric m;
  m.label.push_back({std::move(label), std::move(value)});
  return m;
}

}  // namespace

std::vector<MetricFamily> TroupeCollector::Collect() const {
  std::lock_guard lock(mutex_);
  const CounterTotals t = sum_counters();
  std::vector<MetricFamily> out;
  out.push_back(single("troupe_actors_live", "Actors alive in the actor system now.",
                       MetricType::Gauge, static_cast<double>(system_.live_actors())));
  out.push_back(single("troupe_actors_started_total", "Actors started (restarts not counted).",
                       MetricType::Counter, static_cast<double>(t.actors_started)));
  out.push_back(single("troupe_actor_restarts_total", "Actors restarted by their supervisor.",
                       MetricType::Counter, static_cast<double>(t.actor_restarts)));
  out.push_back(single("troupe_messages_handled_total", "Messages delivered to an actor's handler.",
                       MetricType::Counter, static_cast<double>(t.messages_handled)));
  out.push_back(single("troupe_tasks_spawned_total", "Tasks spawned on a runtime.",
                       MetricType::Counter, static_cast<double>(t.tasks_spawned)));

  MetricFamily dead = family("troupe_dead_letters_total", "Messages not delivered, by reason.",
                             MetricType::Counter);
  for (std::size_t i = 0; i < kReasonNames.size(); ++i) {
    ClientMetric m = labelled("reason", std::string(kReasonNames[i]));
    m.counter.value = static_cast<double>(t.dead_letters[i]);
    dead.metric.push_back(std::move(m));
  }
  out.push_back(std::move(dead));

  MetricFamily asks = family("troupe_ask_duration_seconds",
                             "Asks, from their first poll to their outcome (a reply, a failure, "
                             "a timeout).",
                             MetricType::Histogram);
  asks.metric.push_back(histogram(t.ask_buckets, kAskBucketBounds, t.ask_count,
                                  static_cast<double>(t.ask_nanoseconds) / 1e9));
  out.push_back(std::move(asks));

  collect_mailboxes(out);
  collect_workers(out);
  collect_peers(out);
  return out;
}

void TroupeCollector::collect_mailboxes(std::vector<MetricFamily>& out) const {
  const SystemDump dump = system_.dump();
  std::array<std::uint64_t, kDepthBounds.size() + 1> buckets{};
  std::uint64_t count = 0;
  std::uint64_t max = 0;
  double sum = 0;
  for (const ActorInfo& a : dump.actors) {
    if (!a.mailbox_depth) continue;  // running: not readable now
    const auto depth = static_cast<double>(*a.mailbox_depth);
    const auto it = std::lower_bound(kDepthBounds.begin(), kDepthBounds.end(), depth);
    ++buckets[static_cast<std::size_t>(it - kDepthBounds.begin())];
    ++count;
    sum += depth;
    max = std::max<std::uint64_t>(max, *a.mailbox_depth);
  }
  MetricFamily f = family("troupe_mailbox_depth",
                          "Messages waiting in each actor's mailbox, sampled when scraped "
                          "(actors running at that moment left out).",
                          MetricType::Histogram);
  f.metric.push_back(histogram(buckets, kDepthBounds, count, sum));
  out.push_back(std::move(f));
  out.push_back(single("troupe_mailbox_depth_max", "The deepest mailbox when scraped.",
                       MetricType::Gauge, static_cast<double>(max)));
}

void TroupeCollector::collect_workers(std::vector<MetricFamily>& out) const {
  // Busy: not parked (running tasks, or looking for them), since the last
  // scrape (since it started for a worker not seen before), over all
  // workers of the process.
  const std::vector<WorkerClock> clocks = worker_clocks();
  std::map<std::uint64_t, Seen> now_seen;
  double wall = 0;
  double parked = 0;
  for (const WorkerClock& c : clocks) {
    Seen from{c.since, 0};
    if (auto it = workers_seen_.find(c.serial); it != workers_seen_.end()) from = it->second;
    wall += static_cast<double>(std::max<std::int64_t>(0, c.now - from.at));
    parked += static_cast<double>(std::max<std::int64_t>(0, c.parked - from.parked));
    now_seen[c.serial] = {c.now, c.parked};
  }
  workers_seen_ = std::move(now_seen);
  const double ratio = wall > 0 ? std::clamp(1.0 - parked / wall, 0.0, 1.0) : 0.0;
  out.push_back(single("troupe_worker_busy_ratio",
                       "The share of the worker threads' time not parked (running or looking "
                       "for tasks), since the previous scrape.",
                       MetricType::Gauge, ratio));
  out.push_back(single("troupe_workers", "Worker threads running now.", MetricType::Gauge,
                       static_cast<double>(clocks.size())));
}

void TroupeCollector::collect_peers(std::vector<MetricFamily>& out) const {
  if (node_ == nullptr) return;
#ifdef TROUPE_METRICS_WITH_REMOTE
  MetricFamily sent =
      family("troupe_remote_sent_total", "Envelopes written to a peer node.", MetricType::Counter);
  MetricFamily received = family("troupe_remote_received_total", "Envelopes read from a peer node.",
                                 MetricType::Counter);
  MetricFamily outbox = family("troupe_remote_outbox_depth",
                               "Envelopes waiting in a peer node's outbox.", MetricType::Gauge);
  MetricFamily connected =
      family("troupe_remote_connected", "1 while a connection to the peer node is up, else 0.",
             MetricType::Gauge);
  std::set<std::string> listed;
  for (const remote::PeerStats& p : node_->peer_stats()) {
    listed.insert(p.name);
    peers_seen_.insert(p.name);
    ClientMetric m = labelled("peer", p.name);
    m.counter.value = static_cast<double>(p.sent);
    sent.metric.push_back(m);
    m.counter.value = static_cast<double>(p.received);
    received.metric.push_back(m);
    m.counter.value = 0;
    m.gauge.value = static_cast<double>(p.outbox_depth);
    outbox.metric.push_back(m);
    m.gauge.value = p.connected ? 1 : 0;
    connected.metric.push_back(std::move(m));
  }
  // A peer the node has forgotten (gone, and no ref holds it) stays
  // reported as not connected.
  for (const std::string& name : peers_seen_) {
    if (listed.count(name) != 0) continue;
    connected.metric.push_back(labelled("peer", name));
  }
  out.push_back(std::move(sent));
  out.push_back(std::move(received));
  out.push_back(std::move(outbox));
  out.push_back(std::move(connected));
#endif
}

}  // namespace troupe::detail
