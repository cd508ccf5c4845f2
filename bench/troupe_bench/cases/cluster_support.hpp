#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/types.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/cluster/cluster.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

#include "cases/activation_log.hpp"
#include "cluster_bench.pb.h"

// What the cluster cases share. A cluster case runs three nodes on
// loopback around one etcd that it starts for the run:
//
//   node 1   troupe-bench-cluster running the case (which troupe-bench
//            became, see cluster_cases.hpp): the driver, which measures
//            and prints the RESULT line. It hosts counters too.
//   node 2,3 troupe-bench-cluster in its node role (`--cluster-node`),
//            started by node 1: they host counters and only serve.
//
// Every node hosts the virtual actor kind "counter" (Counter below), so
// placement spreads the identities over the three. Each node keeps an
// activation log (ActivationLog), from which ClusterRun::finish tells
// whether any identity was active on two nodes at once: the spec calls
// such a run invalid.
namespace troupe::bench {

using ::troupe_bench_cluster::Add;
using ::troupe_bench_cluster::Get;
using ::troupe_bench_cluster::Inc;
using ::troupe_bench_cluster::Value;

/// The kind every node hosts.
inline constexpr const char* kCounterKind = "counter";

/// The virtual actor kind "counter": adds what it is asked (Inc) or told
/// (Add), and answers its value with the name of its node. Its state is
/// its activation's. Made as `Counter(identity, node, log)` by Cluster::host.
class Counter : public Actor<Counter> {
 public:
  using messages = proto::Messages<Inc, Add, Get>;  // what any node may send it

  Counter(std::string identity, std::string node, const ActivationLog* log)
      : identity_(std::move(identity)), node_(std::move(node)), log_(log) {
    log_->started(identity_);
  }

  Value handle(const Inc& m) {
    value_ += m.amount();
    return value();
  }
  void handle(const Add& m) { value_ += m.amount(); }
  Value handle(const Get&) { return value(); }
  void on_stop(const ExitReason&) { log_->stopped(identity_); }

 private:
  Value value() const {
    Value v;
    v.set_value(value_);
    v.set_node(node_);
    return v;
  }

  std::string identity_;
  std::string node_;
  const ActivationLog* log_;
  std::int64_t value_ = 0;
};

/// The identity of the i-th counter of a case: "c-<i>".
inline std::string counter_identity(std::size_t i) { return "c-" + std::to_string(i); }

/// One member of the bench cluster in this process: an actor system, a
/// node on loopback, and its Cluster hosting "counter", joined once
/// constructed. Node 1 is one, and so is each node process.
class ClusterNode {
 public:
  struct Options {
    std::string etcd;             // "127.0.0.1:PORT"
    std::chrono::seconds ttl{0};  // the lease TTL; 0: the Cluster default
    std::string activation_log;   // the file of its ActivationLog
    std::size_t workers = 1;
    std::string label = "node";  // for its log lines on stderr
  };

  /// Starts it and waits until it is a member; throws if it is not within 30 s.
  explicit ClusterNode(const Options& o);
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;
  /// shutdown(), if not done yet.
  ~ClusterNode();

  ActorSystem& system() noexcept { return system_; }
  cluster::Cluster& cluster() noexcept { return *cluster_; }
  /// Its node name (the address the others dial).
  const std::string& name() const noexcept { return node_->name(); }

  /// Blocks (outside the runtime) until the members are `count` nodes and
  /// this node is connected to every other one; false if not within `timeout`.
  bool wait_members(std::size_t count, std::chrono::milliseconds timeout);

  /// The counter `identity` (a ref at once; its first message activates it).
  ActorRef<Counter> counter(const std::string& identity) {
    return cluster_->get<Counter>(kCounterKind, identity);
  }

  /// Leaves the cluster (its activations stop), then ends the node and the
  /// system. From outside the runtime; idempotent.
  void shutdown();

 private:
  ActivationLog log_;  // outlives the actors that write to it
  ActorSystem system_;
  std::optional<remote::Node> node_;
  std::optional<cluster::Cluster> cluster_;
  bool shut_down_ = false;
};

/// A node process (troupe-bench-cluster --cluster-node) as node 1 sees it:
/// its stdin and stdout piped to us, its stderr shared. It reads one line
/// from its stdin (`<etcd endpoint> <activation log path>`), joins, waits
/// until it sees every member, prints `READY <node name>`, and leaves the
/// cluster when its stdin closes.
class NodeProcess {
 public:
  /// Starts it with `args` (`ttl=.. nodes=.. workers=..`) and gives it its line.
  NodeProcess(const std::vector<std::string>& args, const std::string& etcd,
              const std::string& activation_log);
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;
  /// stop(), if not done yet.
  ~NodeProcess();

  /// Waits for its READY line; throws if it does not come.
  void wait_ready();
  /// Its node name, once ready.
  const std::string& name() const noexcept { return name_; }
  /// Closes its stdin and reaps it (SIGKILL if it has not ended in 30 s).
  void stop();
  /// SIGKILL (no goodbye to etcd or to the other nodes), and reaps it.
  void kill();

 private:
  // Waits for it to end (up to `patience`, then SIGKILL); closes our ends.
  void reap(std::chrono::milliseconds patience);
  pid_t pid_ = -1;
  int stdin_ = -1;
  std::FILE* stdout_ = nullptr;
  std::string name_;
};

/// A folder for one run (etcd's data and log, the activation logs), made
/// under the temporary directory and removed with all it holds at the end.
class RunDir {
 public:
  RunDir();
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  ~RunDir();
  std::string path(const std::string& file) const { return dir_ + "/" + file; }

 private:
  std::string dir_;
};

/// The run's etcd: one member on free loopback ports (`etcd --data-dir ..
/// --listen-client-urls http://127.0.0.1:PORT ..`, its own defaults
/// otherwise), its log in a file of the run's folder. Ready once
/// constructed (its log says "ready to serve client requests"); killed
/// when destroyed.
class EtcdProcess {
 public:
  explicit EtcdProcess(const RunDir& dir);
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;
  ~EtcdProcess();

  /// "127.0.0.1:PORT": what the nodes dial.
  const std::string& endpoint() const noexcept { return endpoint_; }

 private:
  void end();
  pid_t pid_ = -1;
  std::string endpoint_;
};

/// The whole cluster of a case, from node 1: its folder, etcd, node 1 (in
/// this process) and the node processes; constructed once every node sees
/// every member and is connected to each.
class ClusterRun {
 public:
  struct Options {
    std::size_t workers = 1;
    std::chrono::seconds ttl{0};  // every node's lease TTL; 0: the Cluster default
    std::size_t nodes = 3;
  };
  explicit ClusterRun(const Options& o);
  ClusterRun(const ClusterRun&) = delete;
  ClusterRun& operator=(const ClusterRun&) = delete;
  ~ClusterRun();

  /// Node 1, this process's member.
  ClusterNode& local() noexcept { return *local_; }
  /// The name of node k (1-based: node 1 is this process).
  const std::string& node_name(std::size_t k) const;
  /// SIGKILLs node k (2 or more) and reaps it; its activations end then.
  void kill(std::size_t k);

  /// Ends the run: the node processes leave, then node 1, then etcd
  /// stops. Then reads every node's activation log: nothing if no
  /// identity was active on two nodes at once, else what overlapped (the
  /// run is invalid). `activations` counts the activations logged.
  std::optional<std::string> finish(std::size_t* activations = nullptr);

 private:
  RunDir dir_;
  std::optional<EtcdProcess> etcd_;
  std::optional<ClusterNode> local_;
  std::vector<std::unique_ptr<NodeProcess>> others_;  // nodes 2, 3, ...
  std::vector<std::optional<std::int64_t>> died_us_;  // by node - 1: when killed
  bool finished_ = false;
};

/// One of the askers of ask_counters: asks `m` of counter `ref_of(i)` for
/// the next i until all `count` are taken, one ask at a time; the sum of
/// the values answered. Throws if an ask fails.
template <class M, class RefOf>
Task<std::int64_t> ask_counters_one_at_a_time(std::shared_ptr<std::atomic<std::size_t>> next,
                                              std::size_t count, M m, RefOf ref_of,
                                              Duration timeout) {
  std::int64_t sum = 0;
  for (;;) {
    const std::size_t i = next->fetch_add(1, std::memory_order_relaxed);
    if (i >= count) break;
    const ActorRef<Counter> ref = ref_of(i);
    auto reply = co_await ref.ask(m, timeout);
    if (!reply) {
      throw std::runtime_error("the ask of counter " + counter_identity(i) +
                               " failed: " + to_string(reply.error()));
    }
    sum += reply->value();
  }
  co_return sum;
}

/// `co_await ask_counters(count, inflight, m, ref_of, timeout)`: asks `m`
/// of the counters `ref_of(0)` .. `ref_of(count - 1)`, at most `inflight`
/// asks outstanding (each of `inflight` askers sends its next ask when its
/// last reply is in); the sum of the values answered. Throws if an ask fails.
template <class M, class RefOf>
Task<std::int64_t> ask_counters(std::size_t count, std::size_t inflight, M m, RefOf ref_of,
                                Duration timeout) {
  auto next = std::make_shared<std::atomic<std::size_t>>(0);
  std::vector<JoinHandle<std::int64_t>> askers;
  const std::size_t k = std::min(inflight, count);
  askers.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {
    askers.push_back(spawn(ask_counters_one_at_a_time(next, count, m, ref_of, timeout)));
  }
  std::int64_t sum = 0;
  for (auto& a : askers) {
    const std::int64_t part = co_await a;  // rethrows an asker's failure
    sum += part;
  }
  co_return sum;
}

}  // namespace troupe::bench
