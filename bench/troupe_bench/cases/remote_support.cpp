#include "cases/remote_support.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace troupe::bench {

namespace {

constexpr std::string_view kServerRolePrefix = "--remote-server=";

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The path of this executable, so that process 2 runs the same binary
// (and is named after it in ps and perf, which spawning /proc/self/exe
// would not do).
std::string own_executable() {
  char path[4096];
  const ssize_t got = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (got <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  return std::string(path, static_cast<std::size_t>(got));
}

// Closes both ends of the pipes made so far (a failed start).
void close_all(std::initializer_list<int> fds) {
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

}  // namespace

std::string server_role(std::string_view case_name) {
  return std::string(kServerRolePrefix) + std::string(case_name);
}

remote::NodeOptions bench_node_options(bool listen) {
  remote::NodeOptions o;
  if (listen) o.listen = "127.0.0.1:0";
  // Both processes are ours, on loopback; a real secret all the same, so
  // that the bench pays for the handshake and the frame MAC as users do.
  o.cluster_secret = "troupe-bench-cluster-secret-0123456789abcdef";
  // The node's own TCP transport, the default and the faster;
  // TROUPE_BENCH_TRANSPORT=grpc measures the gRPC one (both processes read it).
  if (const char* t = std::getenv("TROUPE_BENCH_TRANSPORT"); t && std::string_view(t) == "grpc")
    o.transport = remote::NodeOptions::Transport::kGrpc;
  o.log = [](const std::string& line) {
    if (starts_with(line, "connected to ") || starts_with(line, "disconnected from ")) return;
    std::fprintf(stderr, "troupe-bench (node): %s\n", line.c_str());
  };
  return o;
}

ServerProcess::ServerProcess(std::string_view case_name, const std::vector<std::string>& args) {
  const std::string exe = own_executable();
  // O_CLOEXEC: the child keeps only the ends dup2'd onto its 0 and 1.
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    close_all({in[0], in[1], out[0], out[1]});
    throw std::runtime_error("pipe2 failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<std::string> words{"troupe-bench-remote", server_role(case_name)};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    close_all({in[1], out[0]});
    pid_ = -1;
    throw std::runtime_error("cannot start the server process (posix_spawn: " + std::to_string(rc) +
                             ")");
  }
  stdin_ = in[1];
  std::FILE* from = ::fdopen(out[0], "r");
  char line[256] = {};
  const bool got = from != nullptr && std::fgets(line, sizeof line, from) != nullptr;
  if (from != nullptr) {
    std::fclose(from);
  } else {
    ::close(out[0]);
  }
  std::istringstream ready(line);
  std::string word;
  ready >> word >> address_;
  if (!got || word != "READY" || address_.empty()) {
    stop();
    throw std::runtime_error("the server process did not start" +
                             (got ? std::string(": it said ") + line : std::string()));
  }
}

ServerProcess::~ServerProcess() { stop(); }

void ServerProcess::stop() {
  if (pid_ < 0) return;
  if (stdin_ >= 0) ::close(stdin_);
  stdin_ = -1;
  // Its node shuts down in well under a second; a server that hangs must
  // not keep the benchmark (or a comparison script) waiting.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (done == 0) {
    std::fprintf(stderr, "troupe-bench: the server process did not end; killing it\n");
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  } else if (done > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    std::fprintf(stderr, "troupe-bench: the server process ended abnormally (status %d)\n", status);
  }
  pid_ = -1;
}

void announce(const remote::Node& node) {
  std::printf("READY %s\n", node.address().c_str());
  std::fflush(stdout);
}

void wait_for_stdin_to_close() {
  char buf[256];
  while (true) {
    const ssize_t got = ::read(0, buf, sizeof buf);
    if (got == 0) return;
    if (got < 0 && errno != EINTR) return;
  }
}

void end_server(int status) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::exit(status);
}

}  // namespace troupe::bench
