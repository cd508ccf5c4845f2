// A node process for the remote tests: publishes an Echo as "echo", an
// OrderCheck as "order" (and a loop actor "relay" that hands Seqs on to it)
// and a TraceEcho as "trace", prints "READY <address> <incarnation>" on
// stdout, and runs until its stdin closes (or it is killed).
//
//   troupe-remote-test-node [--listen HOST:PORT] [--name N] [--secret S] [--seed ADDR]...
//                           [--tls DIR [--tls-cert NAME]] [--handshake-timeout-ms N]

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/mailbox.hpp>
#include <troupe/remote/node.hpp>

#include "test_actors.hpp"
#include "transport.hpp"

int main(int argc, char** argv) {
  troupe::remote::NodeOptions options;
  options.listen = "127.0.0.1:0";
  options.cluster_secret = remote_test::kSecret;
  options.transport = remote_test::test_transport();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--listen") {
      options.listen = value;
    } else if (flag == "--secret") {
      options.cluster_secret = value;
    } else if (flag == "--seed") {
      options.seeds.push_back(value);
    } else if (flag == "--tls") {  // a folder with ca.pem, node.pem, node.key
      options.transport = troupe::remote::NodeOptions::Transport::kGrpc;  // TLS is gRPC's
      options.tls = troupe::remote::TlsOptions{value + "/node.pem", value + "/node.key",
                                               value + "/ca.pem", ""};
    } else if (flag == "--tls-cert" && options.tls) {  // another NAME.pem, NAME.key there
      const std::string dir = options.tls->ca_file.substr(0, options.tls->ca_file.rfind('/'));
      options.tls->cert_file = dir + "/" + value + ".pem";
      options.tls->key_file = dir + "/" + value + ".key";
    } else if (flag == "--name") {
      options.name = value;
    } else if (flag == "--handshake-timeout-ms") {
      options.handshake_timeout = std::chrono::milliseconds(std::stoll(value));
    } else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  troupe::ActorSystem system(troupe::ActorSystemOptions{.workers = 2});
  troupe::remote::Node node(system, options);
  node.publish("echo", system.spawn<remote_test::Echo>());
  node.publish("trace", system.spawn<remote_test::TraceEcho>(&node));
  auto order = system.spawn<remote_test::OrderCheck>();
  node.publish("order", order);
  // A loop actor, reached from other nodes like the others: it hands each
  // Seq on to "order", in the order it got them.
  node.publish("relay",
               system.spawn_loop<remote_test::Seq>(
                   [order](troupe::Mailbox<remote_test::Seq>& mailbox) -> troupe::Task<void> {
                     for (;;) {
                       auto s = co_await mailbox.next();
                       if (!s) co_return;
                       order.tell(*s);
                     }
                   }));
  std::printf("READY %s %llu\n", node.address().c_str(),
              static_cast<unsigned long long>(node.incarnation()));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  node.shutdown();
  system.shutdown();
  return 0;
}
