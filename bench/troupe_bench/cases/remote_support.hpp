#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/remote/node_options.hpp>

// What the remote cases share. A remote case runs in two processes on
// loopback: process 1 is troupe-bench-remote (which troupe-bench became,
// see remote_cases.hpp), which measures and prints the RESULT line;
// process 2 is troupe-bench-remote again, started by the case in its server
// role, which publishes the actor(s) the case talks to and only serves.
namespace troupe::bench {

/// The name under which troupe-bench-remote runs the server role of `case_name`
/// (`--remote-server=remote_ping_pong`). find_case knows these names, but
/// --help does not list them: only a remote case starts them.
std::string server_role(std::string_view case_name);

/// The node options of both processes: a node on loopback (port 0: any
/// free one), whose expected connection lines (connected, disconnected at
/// the end) stay off stderr; anything else it reports goes there.
remote::NodeOptions bench_node_options(bool listen);

/// Process 2 as process 1 sees it: troupe-bench-remote in the server role of a
/// case, its stdin and stdout piped to us, its stderr shared. It prints
/// `READY <address>` when its node listens and its actors are published,
/// and ends when its stdin closes.
class ServerProcess {
 public:
  /// Starts it (`troupe-bench-remote --remote-server=CASE key=value ...`) and
  /// waits for its READY line; throws if it does not come.
  ServerProcess(std::string_view case_name, const std::vector<std::string>& args);
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  /// stop(), if not done yet.
  ~ServerProcess();

  /// The address its node listens on ("127.0.0.1:PORT").
  const std::string& address() const noexcept { return address_; }
  /// Closes its stdin and reaps it (SIGKILL if it has not ended after a
  /// few seconds). A server that did not end cleanly is reported on stderr:
  /// the measurement before it stands.
  void stop();

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  std::string address_;
};

/// In the server role, once its actors are published: prints
/// `READY <address>` on stdout for process 1.
void announce(const remote::Node& node);

/// In the server role: blocks until stdin reaches its end (process 1
/// closed it, or ended).
void wait_for_stdin_to_close();

/// Ends the server role's process with `status`. The server role never
/// returns to main, so that no RESULT line follows its READY line.
[[noreturn]] void end_server(int status);

/// `co_await`-free lookup for the driver thread: a ref to the actor that
/// `address` publishes as `name`; throws if there is none.
template <class A>
ActorRef<A> lookup_or_throw(ActorSystem& system, remote::Node& node, const std::string& address,
                            const std::string& name) {
  auto found = system.block_on(node.lookup<A>(address, name, std::chrono::seconds(10)));
  if (!found) {
    throw std::runtime_error("lookup of " + name + " at " + address + " failed: " + found.detail());
  }
  return *found;
}

}  // namespace troupe::bench
