// The nodes of the remote tests: a node process (troupe-remote-test-node)
// the test starts and kills, this process's own node, and certificates.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/task.hpp>

#include "../support/child_process.hpp"
#include "../support/sibling_binary.hpp"
#include "test_actors.hpp"
#include "transport.hpp"

namespace remote_test {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::Task;
using troupe::remote::Node;
using troupe::remote::NodeOptions;

/// A troupe-remote-test-node process, started and READY once constructed.
/// Killed (SIGKILL) when destroyed unless stopped first.
class ChildNode {
 public:
  explicit ChildNode(std::vector<std::string> args) : process_(with_program(std::move(args))) {
    char line[256] = {};
    if (!std::fgets(line, sizeof line, process_.stdout_file())) {
      throw std::runtime_error("the node did not start: " + process_.stderr_text());
    }
    std::istringstream ready(line);
    std::string word;
    ready >> word >> address_ >> incarnation_;
    if (word != "READY") throw std::runtime_error(std::string("unexpected: ") + line);
  }

  const std::string& address() const { return address_; }
  std::uint64_t incarnation() const { return incarnation_; }
  pid_t pid() const { return process_.pid(); }
  /// SIGKILL: no goodbye on the wire.
  void kill() { process_.kill(); }
  /// SIGSTOP: its sockets stay open, but nothing answers on them.
  void freeze() { process_.freeze(); }
  /// Closes its stdin: it shuts down cleanly.
  void stop() { process_.stop(); }
  std::string stderr_text() const { return process_.stderr_text(); }

 private:
  static std::vector<std::string> with_program(std::vector<std::string> args) {
    args.insert(args.begin(), troupe::test::sibling_binary(TROUPE_TEST_NODE));
    return args;
  }

  troupe::test::ChildProcess process_;
  std::string address_;
  std::uint64_t incarnation_ = 0;
};

/// This process's node.
struct Local {
  explicit Local(NodeOptions options = {}) : system(troupe::ActorSystemOptions{.workers = 2}) {
    options.listen = "127.0.0.1:0";
    if (!options.tls) options.transport = test_transport();
    if (options.cluster_secret.empty()) options.cluster_secret = remote_test::kSecret;
    node.emplace(system, std::move(options));
  }
  ~Local() {
    node->shutdown();
    system.shutdown();
  }
  template <class T>
  T run(Task<T> t) {
    return system.block_on(std::move(t));
  }
  template <class A>
  ActorRef<A> lookup(const std::string& at, const std::string& name) {
    auto r = run(node->lookup<A>(at, name, 10s));
    if (!r) throw std::runtime_error("lookup failed: " + r.detail());
    return *r;
  }
  ActorSystem system;
  std::optional<Node> node;
};

inline Task<std::int64_t> ping(ActorRef<Echo> echo, std::int64_t n) {
  remote_test::Ping p;
  p.set_n(n);
  auto r = co_await echo.ask(p, 10s);
  co_return r ? r->n() : -1;
}

// Makes a CA and certificates signed by it, each used by a node both as
// server and as client: "node" for localhost and 127.0.0.1 (what a node
// named by its loopback address may present), and any others asked for,
// by name and subject alternative names ("DNS:node-b,IP:127.0.0.1").
class Certificates {
 public:
  explicit Certificates(std::vector<std::pair<std::string, std::string>> extra = {}) {
    char tmpl[] = "/tmp/troupe-tls-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    const std::string d = dir_;
    ok_ = run("openssl req -x509" + std::string(kKey) + " -keyout " + d + "/ca.key -out " + d +
              "/ca.pem -days 2 -subj /CN=troupe-test-ca");
    extra.insert(extra.begin(), {"node", "DNS:localhost,IP:127.0.0.1"});
    for (const auto& [name, san] : extra) ok_ = ok_ && make(name, san);
  }
  ~Certificates() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  const std::string& dir() const { return dir_; }
  troupe::remote::TlsOptions options(const std::string& name = "node") const {
    return {dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key", dir_ + "/ca.pem", ""};
  }

 private:
  static constexpr const char* kKey = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  bool make(const std::string& name, const std::string& san) {
    const std::string d = dir_ + "/";
    std::ofstream(d + name + ".ext") << "subjectAltName=" << san << "\n";
    return run("openssl req" + std::string(kKey) + " -keyout " + d + name + ".key -out " + d +
               name + ".csr -subj /CN=" + name) &&
           run("openssl x509 -req -in " + d + name + ".csr -CA " + d + "ca.pem -CAkey " + d +
               "ca.key -CAcreateserial -out " + d + name + ".pem -days 2 -extfile " + d + name +
               ".ext");
  }
  static bool run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
  }
  std::string dir_;
  bool ok_ = false;
};

/// Under a sanitizer, memory is the sanitizer's (shadow memory, quarantine):
/// bounds on it say nothing about the code.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kMemoryMeasurable = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kMemoryMeasurable = false;
#else
inline constexpr bool kMemoryMeasurable = true;
#endif
#else
inline constexpr bool kMemoryMeasurable = true;
#endif

/// The resident set of process `pid` ("self" for this one) now and at its
/// peak, in bytes, from /proc.
struct Memory {
  std::size_t now = 0;
  std::size_t peak = 0;
};
inline Memory memory_of(const std::string& pid = "self") {
  std::ifstream in("/proc/" + pid + "/status");
  Memory m;
  std::string key;
  std::size_t kb = 0;
  std::string unit;
  while (in >> key) {
    if (key == "VmRSS:" && in >> kb >> unit) m.now = kb * 1024;
    if (key == "VmHWM:" && in >> kb >> unit) m.peak = kb * 1024;
  }
  return m;
}

}  // namespace remote_test
