// The actors of the cluster tests, in the test process and in the node
// processes alike: a Counter (the virtual actor kind "counter"), and a
// Driver that makes its node send to virtual actors on the test's command.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <troupe/actor/actor.hpp>
#include <troupe/cluster/cluster.hpp>
#include <troupe/proto/messages.hpp>

#include "cluster_test.pb.h"

namespace cluster_test {

inline std::int64_t realtime_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

/// What a Counter reports when an activation stops: its identity, its
/// actor id, when (CLOCK_REALTIME microseconds).
using StopHook =
    std::function<void(const std::string& identity, std::uint64_t actor, std::int64_t at_us)>;

/// A virtual actor: counts what it is told to add. Its state is its
/// activation's: a new activation starts from zero.
class Counter : public troupe::Actor<Counter> {
 public:
  using messages = troupe::proto::Messages<Add>;

  Counter(std::string identity, std::string node, StopHook on_stopped)
      : identity_(std::move(identity)),
        node_(std::move(node)),
        on_stopped_(std::move(on_stopped)),
        started_us_(realtime_us()) {}

  Total handle(const Add& m) {
    value_ += m.n();
    Total t;
    t.set_value(value_);
    t.set_node(node_);
    t.set_actor(id());
    t.set_started_us(started_us_);
    return t;
  }
  void on_stop(const troupe::ExitReason&) {
    if (on_stopped_) on_stopped_(identity_, id(), realtime_us());
  }

 private:
  std::string identity_;
  std::string node_;
  StopHook on_stopped_;
  std::int64_t started_us_;
  std::int64_t value_ = 0;
};

/// Sends bursts of asks to virtual actors from its node.
class Driver : public troupe::Actor<Driver> {
 public:
  using messages = troupe::proto::Messages<Burst>;

  explicit Driver(troupe::cluster::Cluster* cluster) : cluster_(cluster) {}

  troupe::Task<BurstReply> handle(Burst m) {
    auto target = cluster_->get<Counter>(m.kind(), m.identity());
    Add add;
    add.set_n(m.n());
    std::vector<troupe::AskFuture<Total>> asks;
    for (int i = 0; i < m.count(); ++i) asks.push_back(target.ask(add, std::chrono::seconds(30)));
    BurstReply reply;
    for (auto& a : asks) {
      auto r = co_await std::move(a);
      if (!r) {
        reply.set_failed(reply.failed() + 1);
        continue;
      }
      reply.add_activations(r->node() + "/" + std::to_string(r->actor()));
      reply.set_last_total(std::max(reply.last_total(), r->value()));
    }
    co_return reply;
  }

 private:
  troupe::cluster::Cluster* cluster_;
};

}  // namespace cluster_test
