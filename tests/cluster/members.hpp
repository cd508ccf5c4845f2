// The members of the cluster tests: node processes (troupe-cluster-test-node)
// the test starts, stops and kills, and this process's own member.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <troupe/actor/actor_system.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/cluster/cluster.hpp>
#include <troupe/remote/node.hpp>

#include "../support/child_process.hpp"
#include "../support/sibling_binary.hpp"
#include "test_actors.hpp"

namespace cluster_test {

using namespace std::chrono_literals;

/// A line a node process printed after READY ("STOPPED ..."), split in words.
using Line = std::vector<std::string>;

/// A troupe-cluster-test-node process, joined once constructed. Killed
/// (SIGKILL) when destroyed unless stopped first. Its later stdout lines
/// are kept for wait_line.
class ClusterChild {
 public:
  ClusterChild(const std::string& etcd, std::vector<std::string> args = {})
      : process_(with_program(etcd, std::move(args))) {
    char line[512] = {};
    if (!std::fgets(line, sizeof line, process_.stdout_file())) {
      throw std::runtime_error("the node did not start: " + stderr_text());
    }
    std::istringstream ready(line);
    std::string word;
    ready >> word >> address_ >> incarnation_;
    if (word != "READY") throw std::runtime_error(std::string("unexpected: ") + line);
    reader_ = std::thread([this] { read_lines(); });
  }
  ClusterChild(const ClusterChild&) = delete;
  ~ClusterChild() {
    if (process_.pid() > 0) process_.kill();
    if (reader_.joinable()) reader_.join();  // before the process closes its stdout
  }

  const std::string& address() const { return address_; }
  std::uint64_t incarnation() const { return incarnation_; }
  /// SIGKILL: no goodbye, to etcd or to the other nodes.
  void kill() { process_.kill(); }
  /// Closes its stdin: it leaves the cluster and exits.
  void stop() { process_.stop(); }
  /// The next line starting with `word` it printed (in order; each
  /// returned once), or nothing within `timeout`.
  std::optional<Line> wait_line(const std::string& word, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<Line> found;
    changed_.wait_for(lock, timeout, [&] {
      for (auto it = lines_.begin(); it != lines_.end(); ++it) {
        if (!it->empty() && (*it)[0] == word) {
          found = std::move(*it);
          lines_.erase(it);
          return true;
        }
      }
      return eof_;
    });
    return found;
  }
  std::string stderr_text() const { return process_.stderr_text(); }

 private:
  static std::vector<std::string> with_program(const std::string& etcd,
                                               std::vector<std::string> args) {
    const std::string program = troupe::test::sibling_binary(TROUPE_CLUSTER_TEST_NODE);
    args.insert(args.begin(), {program, "--etcd", etcd});
    return args;
  }
  void read_lines() {
    char line[512];
    while (std::fgets(line, sizeof line, process_.stdout_file())) {
      std::istringstream words(line);
      Line l;
      for (std::string w; words >> w;) l.push_back(w);
      std::lock_guard lock(mutex_);
      lines_.push_back(std::move(l));
      changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    changed_.notify_all();
  }

  troupe::test::ChildProcess process_;
  std::string address_;
  std::uint64_t incarnation_ = 0;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Line> lines_;
  bool eof_ = false;
};

/// This process's member: a system, a node and its cluster, hosting the
/// counter kind if asked (its activations' ends go to `stops`).
struct LocalMember {
  struct Options {
    std::string etcd;
    std::chrono::seconds ttl{2};
    bool host_counter = false;
    troupe::Duration passivate_after = troupe::Duration::zero();
    /// TLS files, user and password for etcd (its endpoint is `etcd`).
    troupe::cluster::EtcdOptions etcd_options{};
    /// False: the constructor does not wait to have joined.
    bool must_join = true;
  };
  explicit LocalMember(Options o) : system(troupe::ActorSystemOptions{.workers = 2}) {
    node.emplace(system, troupe::remote::NodeOptions{.listen = "127.0.0.1:0",
                                                     .cluster_secret = std::string(32, 'k'),
                                                     .keepalive_interval = 1s,
                                                     .keepalive_timeout = 2s});
    o.etcd_options.endpoints = {o.etcd};
    cluster.emplace(*node, troupe::cluster::ClusterOptions{.etcd = o.etcd_options,
                                                           .lease_ttl = o.ttl,
                                                           .passivate_after = o.passivate_after,
                                                           .log = [this](const std::string& line) {
                                                             std::lock_guard lock(log_mutex);
                                                             log_lines.push_back(line);
                                                           }});
    auto [tx, rx] = troupe::channel::mpsc::unbounded<std::uint64_t>();
    stops = std::move(rx);
    if (o.host_counter) {
      cluster->host<Counter>(
          "counter", node->name(),
          StopHook([tx = std::move(tx)](const std::string&, std::uint64_t actor,
                                        std::int64_t) mutable { (void)tx.try_send(actor); }));
    }
    events = cluster->events();
    cluster->start();
    if (o.must_join && !run(cluster->wait_joined(30s))) throw std::runtime_error("did not join");
  }
  /// What the cluster logged so far, one line after another.
  std::string log() {
    std::lock_guard lock(log_mutex);
    std::string all;
    for (const auto& l : log_lines) all += l + "\n";
    return all;
  }
  ~LocalMember() {
    cluster->shutdown();
    node->shutdown();
    system.shutdown();
  }
  template <class T>
  T run(troupe::Task<T> t) {
    return system.block_on(std::move(t));
  }
  /// The next membership change, or nothing within `timeout`.
  std::optional<troupe::cluster::MemberEvent> next_event(troupe::Duration timeout) {
    return run([](troupe::MpscReceiver<troupe::cluster::MemberEvent>& rx,
                  troupe::Duration t) -> troupe::Task<std::optional<troupe::cluster::MemberEvent>> {
      auto r = co_await troupe::select(rx.next(), troupe::sleep_for(t));
      if (r.index() != 0) co_return std::nullopt;
      co_return std::get<0>(r);
    }(events, timeout));
  }
  /// Waits until the members are exactly `nodes` (by name).
  bool wait_members(std::vector<std::string> nodes, troupe::Duration timeout) {
    std::sort(nodes.begin(), nodes.end());
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::vector<std::string> now;
      for (const auto& m : cluster->members()) now.push_back(m.node);
      std::sort(now.begin(), now.end());
      if (now == nodes) return true;
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= troupe::Duration::zero()) return false;
      (void)next_event(std::chrono::duration_cast<troupe::Duration>(left));
    }
  }
  /// Asks the virtual counter `identity` to add `n`, from this node.
  troupe::AskResult<Total> add(const std::string& identity, std::int64_t n,
                               troupe::Duration timeout = 20s) {
    Add m;
    m.set_n(n);
    return run([](troupe::ActorRef<Counter> c, Add m,
                  troupe::Duration t) -> troupe::Task<troupe::AskResult<Total>> {
      co_return co_await c.ask(m, t);
    }(cluster->get<Counter>("counter", identity), m, timeout));
  }

  std::mutex log_mutex;
  std::vector<std::string> log_lines;
  troupe::ActorSystem system;
  std::optional<troupe::remote::Node> node;
  std::optional<troupe::cluster::Cluster> cluster;
  troupe::MpscReceiver<troupe::cluster::MemberEvent> events;
  troupe::MpscReceiver<std::uint64_t> stops;
};

}  // namespace cluster_test
