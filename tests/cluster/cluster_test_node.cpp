// troupe-cluster-test-node: one member of a test cluster, in its own
// process. Started by the cluster tests:
//
//   troupe-cluster-test-node --etcd HOST:PORT [--ttl SECONDS] [--host-counter 0|1]
//                            [--passivate-ms N]
//
// It joins, registers its Driver as "driver@<its address>", prints
// "READY <address> <incarnation>", then one "STOPPED <identity> <actor>
// <realtime us>" line each time one of its Counter activations stops. It
// leaves the cluster gracefully when its stdin closes.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>

#include <troupe/actor/actor_system.hpp>
#include <troupe/cluster/cluster.hpp>
#include <troupe/remote/node.hpp>

#include "test_actors.hpp"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  std::string etcd;
  long ttl = 2;
  bool host_counter = true;
  long passivate_ms = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--etcd") {
      etcd = value;
    } else if (flag == "--ttl") {
      ttl = std::stol(value);
    } else if (flag == "--host-counter") {
      host_counter = value != "0";
    } else if (flag == "--passivate-ms") {
      passivate_ms = std::stol(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  troupe::ActorSystem system(troupe::ActorSystemOptions{.workers = 2});
  troupe::remote::Node node(system, {.listen = "127.0.0.1:0",
                                     .cluster_secret = std::string(32, 'k'),
                                     .keepalive_interval = 1s,
                                     .keepalive_timeout = 2s});
  troupe::cluster::Cluster cluster(node,
                                   {.etcd = {.endpoints = {etcd}},
                                    .lease_ttl = std::chrono::seconds(ttl),
                                    .passivate_after = std::chrono::milliseconds(passivate_ms)});
  std::mutex out;
  if (host_counter) {
    cluster.host<cluster_test::Counter>(
        "counter", node.name(),
        cluster_test::StopHook(
            [&out](const std::string& identity, std::uint64_t actor, std::int64_t at_us) {
              std::lock_guard lock(out);
              std::cout << "STOPPED " << identity << ' ' << actor << ' ' << at_us << std::endl;
            }));
  }
  cluster.start();
  if (!system.block_on(cluster.wait_joined(30s))) {
    std::fprintf(stderr, "did not join within 30 s\n");
    return 1;
  }
  auto driver = system.spawn<cluster_test::Driver>(&cluster);
  if (!system.block_on(cluster.register_name("driver@" + node.name(), driver))) {
    std::fprintf(stderr, "could not register the driver\n");
    return 1;
  }
  {
    std::lock_guard lock(out);
    std::cout << "READY " << node.name() << ' ' << node.incarnation() << std::endl;
  }
  char c;
  while (std::cin.get(c)) {
  }
  cluster.shutdown();
  node.shutdown();
  system.shutdown();
  return 0;
}
