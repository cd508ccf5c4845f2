#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace troupe {
class ActorSystem;
namespace remote {
class Node;
}
}  // namespace troupe

namespace troupe::detail {

/// The framework's metrics as a prometheus::Collectable: Collect() reads
/// the per-thread counters (summed), the system's live actors and mailbox
/// depths, the workers' clocks, and the node's peers, at scrape time.
/// Owned by a MetricsServer; Collect() is thread-safe (serialised on a
/// mutex: it keeps the workers' clocks of the last scrape).
class TroupeCollector final : public prometheus::Collectable {
 public:
  TroupeCollector(ActorSystem& system, remote::Node* node) noexcept
      : system_(system), node_(node) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  void collect_mailboxes(std::vector<prometheus::MetricFamily>& out) const;
  void collect_workers(std::vector<prometheus::MetricFamily>& out) const;
  void collect_peers(std::vector<prometheus::MetricFamily>& out) const;

  ActorSystem& system_;
  remote::Node* node_;
  mutable std::mutex mutex_;  // guards the members below
  struct Seen {
    std::int64_t at;
    std::int64_t parked;
  };
  mutable std::map<std::uint64_t, Seen> workers_seen_;  // by block serial
  mutable std::set<std::string> peers_seen_;
};

}  // namespace troupe::detail
