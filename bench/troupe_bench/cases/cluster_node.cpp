// Nodes 2 and 3 of the cluster cases: troupe-bench-cluster in its node role,
// started by node 1 (ClusterRun, cases/cluster_support.hpp) as
//
//   troupe-bench-cluster --cluster-node ttl=S nodes=N node=K workers=W
//
// It reads `<etcd endpoint> <activation log path>` from its stdin, joins
// the cluster hosting "counter", waits until it sees all N members and is
// connected to each, prints `READY <node name>`, and serves until its
// stdin closes; then it leaves the cluster (its activations stop, and
// log so) and exits.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "cases/cluster_cases.hpp"
#include "cases/cluster_support.hpp"
#include "cases/remote_support.hpp"

namespace troupe::bench {

namespace {

// The first line of stdin, read byte by byte: nothing after it is taken
// from the pipe, whose end is what wait_for_stdin_to_close waits for.
std::string read_config_line() {
  std::string line;
  char c = 0;
  for (;;) {
    const ssize_t got = ::read(0, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || c == '\n') break;
    line += c;
  }
  return line;
}

int serve(const Params& p) {
  std::istringstream config(read_config_line());
  std::string etcd;
  std::string activation_log;
  config >> etcd >> activation_log;
  if (etcd.empty() || activation_log.empty()) {
    throw std::runtime_error("no `<etcd endpoint> <activation log>` line on stdin");
  }
  const std::string label = "node " + std::to_string(p.get("node"));
  ClusterNode node(ClusterNode::Options{.etcd = etcd,
                                        .ttl = std::chrono::seconds(p.get("ttl")),
                                        .activation_log = activation_log,
                                        .workers = p.workers(),
                                        .label = label});
  if (!node.wait_members(p.get_size("nodes"), std::chrono::seconds(60))) {
    throw std::runtime_error(label + " did not see every member within 60 s");
  }
  std::printf("READY %s\n", node.name().c_str());
  std::fflush(stdout);
  wait_for_stdin_to_close();
  node.shutdown();
  return 0;
}

}  // namespace

Outcome run_cluster_node(const Params& p) {
  int status = 0;
  try {
    status = serve(p);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "troupe-bench-cluster (node %lld): %s\n",
                 static_cast<long long>(p.get("node")), e.what());
    status = 1;
  }
  end_server(status);
}

}  // namespace troupe::bench
