#include "cases/cluster_support.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases/remote_support.hpp"

extern char** environ;

namespace troupe::bench {

namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// The path of this executable: node processes run the same binary.
std::string own_executable() {
  char path[4096];
  const ssize_t got = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (got <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  return std::string(path, static_cast<std::size_t>(got));
}

// The path of `program` in $PATH, or empty.
std::string find_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

// A loopback TCP port nobody listens on right now.
int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// waitpid, retried when a signal interrupts it.
pid_t wait_for(pid_t pid, int* status, int flags) {
  pid_t done = 0;
  while ((done = ::waitpid(pid, status, flags)) < 0 && errno == EINTR) {
  }
  return done;
}

// Waits up to `patience` for `pid` to end, then SIGKILLs it; its status.
int reap_within(pid_t pid, std::chrono::milliseconds patience) {
  const auto deadline = Steady::now() + patience;
  int status = 0;
  pid_t done = 0;
  while ((done = wait_for(pid, &status, WNOHANG)) == 0 && Steady::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  if (done == 0) {
    ::kill(pid, SIGKILL);
    wait_for(pid, &status, 0);
    return -1;
  }
  return status;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// What a node reports on stderr: its expected lines (members coming and
// going, connections made and lost, redials of a killed node until it is
// seen gone, leaving at the end) are left out; anything else is printed,
// marked with the node.
bool expected_line(const std::string& line) {
  for (std::string_view start : {"connected to ", "disconnected from ",
                                 "dropped the connection to ", "cannot connect to "}) {
    if (line.rfind(start, 0) == 0) return true;
  }
  return contains(line, "): member up: ") || contains(line, "): member down: ") ||
         contains(line, "): stopped hosting: leaving the cluster");
}

std::function<void(const std::string&)> node_log(const std::string& label) {
  return [label](const std::string& line) {
    if (expected_line(line)) return;
    std::fprintf(stderr, "troupe-bench-cluster (%s): %s\n", label.c_str(), line.c_str());
  };
}

remote::NodeOptions cluster_node_options(const std::string& label) {
  remote::NodeOptions o = bench_node_options(true);
  o.log = node_log(label);
  return o;
}

}  // namespace

// --- ClusterNode -------------------------------------------------------------

ClusterNode::ClusterNode(const Options& o)
    : log_(o.activation_log), system_(ActorSystemOptions{.workers = o.workers}) {
  node_.emplace(system_, cluster_node_options(o.label));
  cluster::ClusterOptions co;
  co.etcd.endpoints = {o.etcd};
  if (o.ttl.count() > 0) co.lease_ttl = o.ttl;
  co.log = node_log(o.label);
  cluster_.emplace(*node_, std::move(co));
  cluster_->host<Counter>(kCounterKind, node_->name(), static_cast<const ActivationLog*>(&log_));
  cluster_->start();
  if (!system_.block_on(cluster_->wait_joined(30s))) {
    shutdown();
    throw std::runtime_error(o.label + " did not join the cluster within 30 s");
  }
}

ClusterNode::~ClusterNode() { shutdown(); }

bool ClusterNode::wait_members(std::size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  for (;;) {
    const auto members = cluster_->members();
    if (members.size() == count) {
      bool connected = true;
      for (const auto& m : members) {
        if (m.node == name()) continue;
        const auto left = std::max<Steady::duration>(deadline - Steady::now(), 1ms);
        connected = connected && system_.block_on(node_->wait_for(
                                     m.node, std::chrono::duration_cast<Duration>(left)));
      }
      if (connected) return true;
    }
    if (Steady::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

void ClusterNode::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  cluster_->shutdown();
  node_->shutdown();
  system_.shutdown();
}

// --- NodeProcess -------------------------------------------------------------

NodeProcess::NodeProcess(const std::vector<std::string>& args, const std::string& etcd,
                         const std::string& activation_log) {
  const std::string exe = own_executable();
  // O_CLOEXEC: the child keeps only the ends dup2'd onto its 0 and 1.
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) {
      if (fd >= 0) ::close(fd);
    }
    throw std::runtime_error("pipe2 failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<std::string> words{"troupe-bench-cluster", "--cluster-node"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    pid_ = -1;
    throw std::runtime_error("cannot start a node process (posix_spawn: " + std::to_string(rc) +
                             ")");
  }
  stdin_ = in[1];
  stdout_ = ::fdopen(out[0], "r");
  if (stdout_ == nullptr) ::close(out[0]);
  // Paths and endpoints hold no spaces: the run's folder is made by mkdtemp.
  const std::string line = etcd + " " + activation_log + "\n";
  if (stdout_ == nullptr ||
      ::write(stdin_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    kill();
    throw std::runtime_error("cannot talk to a node process");
  }
}

NodeProcess::~NodeProcess() { stop(); }

void NodeProcess::wait_ready() {
  char line[512] = {};
  const bool got = std::fgets(line, sizeof line, stdout_) != nullptr;
  std::istringstream ready(line);
  std::string word;
  ready >> word >> name_;
  if (!got || word != "READY" || name_.empty()) {
    stop();
    throw std::runtime_error("a node process did not start" +
                             (got ? std::string(": it said ") + line : std::string()));
  }
}

void NodeProcess::stop() {
  if (pid_ < 0) return;
  if (stdin_ >= 0) ::close(stdin_);
  stdin_ = -1;
  // It leaves the cluster in well under a second; one that hangs must not
  // keep the benchmark waiting.
  reap(30s);
}

void NodeProcess::kill() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGKILL);
  reap(0ms);
}

void NodeProcess::reap(std::chrono::milliseconds patience) {
  const int status = reap_within(pid_, patience);
  if (status == -1 && patience > 0ms) {
    std::fprintf(stderr, "troupe-bench-cluster: node %s did not end; killed it\n", name_.c_str());
  } else if (patience > 0ms && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    std::fprintf(stderr, "troupe-bench-cluster: node %s ended abnormally (status %d)\n",
                 name_.c_str(), status);
  }
  pid_ = -1;
  if (stdin_ >= 0) ::close(stdin_);
  stdin_ = -1;
  if (stdout_ != nullptr) std::fclose(stdout_);
  stdout_ = nullptr;
}

// --- RunDir, EtcdProcess -----------------------------------------------------

RunDir::RunDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "troupe-bench-cluster-XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("cannot make a folder for the run: " +
                             std::string(std::strerror(errno)));
  }
  dir_ = tmpl;
}

RunDir::~RunDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

EtcdProcess::EtcdProcess(const RunDir& dir) {
  const std::string program = find_program("etcd");
  if (program.empty()) {
    throw std::runtime_error(
        "etcd is not installed: the cluster cases run one (Debian: apt-get install etcd-server)");
  }
  const int client_port = free_loopback_port();
  int peer_port = free_loopback_port();
  while (peer_port == client_port) peer_port = free_loopback_port();
  endpoint_ = "127.0.0.1:" + std::to_string(client_port);
  const std::string client_url = "http://" + endpoint_;
  const std::string peer_url = "http://127.0.0.1:" + std::to_string(peer_port);
  const std::string log_path = dir.path("etcd.log");
  std::vector<std::string> argv = {program,
                                   "--name",
                                   "troupe-bench",
                                   "--data-dir",
                                   dir.path("etcd.data"),
                                   "--listen-client-urls",
                                   client_url,
                                   "--advertise-client-urls",
                                   client_url,
                                   "--listen-peer-urls",
                                   peer_url,
                                   "--initial-advertise-peer-urls",
                                   peer_url,
                                   "--initial-cluster",
                                   "troupe-bench=" + peer_url};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    if (log_fd >= 0) ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::runtime_error("cannot open etcd's log " + log_path);
  }
  // fork rather than posix_spawn, for PR_SET_PDEATHSIG: an etcd whose
  // benchmark died goes with it instead of holding its ports. Only
  // async-signal-safe calls between fork and exec.
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execve(args[0], args.data(), environ);
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0) throw std::runtime_error("cannot start " + program);
  pid_ = pid;

  // Ready when its log says so (its own word for serving clients).
  const auto deadline = Steady::now() + 30s;
  for (;;) {
    const std::string log = read_file(log_path);
    if (contains(log, "ready to serve client requests")) return;
    int status = 0;
    const bool ended = wait_for(pid_, &status, WNOHANG) == pid_;
    if (ended) pid_ = -1;
    if (ended || Steady::now() >= deadline) {
      end();
      const std::string tail = log.size() > 4000 ? log.substr(log.size() - 4000) : log;
      throw std::runtime_error(
          std::string(ended ? "etcd exited before it was ready" : "etcd was not ready in 30 s") +
          "; its log ends with:\n" + tail);
    }
    std::this_thread::sleep_for(20ms);
  }
}

EtcdProcess::~EtcdProcess() { end(); }

void EtcdProcess::end() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGTERM);
  (void)reap_within(pid_, 10s);
  pid_ = -1;
}

// --- ClusterRun --------------------------------------------------------------

namespace {

std::string node_log_file(const RunDir& dir, std::size_t k) {
  return dir.path("node-" + std::to_string(k) + ".activations");
}

}  // namespace

ClusterRun::ClusterRun(const Options& o) : died_us_(o.nodes) {
  etcd_.emplace(dir_);
  local_.emplace(ClusterNode::Options{.etcd = etcd_->endpoint(),
                                      .ttl = o.ttl,
                                      .activation_log = node_log_file(dir_, 1),
                                      .workers = o.workers,
                                      .label = "node 1"});
  for (std::size_t k = 2; k <= o.nodes; ++k) {
    others_.push_back(std::make_unique<NodeProcess>(
        std::vector<std::string>{"ttl=" + std::to_string(o.ttl.count()),
                                 "nodes=" + std::to_string(o.nodes), "node=" + std::to_string(k),
                                 "workers=" + std::to_string(o.workers)},
        etcd_->endpoint(), node_log_file(dir_, k)));
  }
  for (auto& n : others_) n->wait_ready();
  if (!local_->wait_members(o.nodes, 60s)) {
    throw std::runtime_error("node 1 did not see every member within 60 s");
  }
}

ClusterRun::~ClusterRun() = default;

const std::string& ClusterRun::node_name(std::size_t k) const {
  if (k == 1) return local_->name();
  return others_.at(k - 2)->name();
}

void ClusterRun::kill(std::size_t k) {
  others_.at(k - 2)->kill();
  // Reaped: nothing of it runs after this.
  died_us_.at(k - 1) = realtime_us();
}

std::optional<std::string> ClusterRun::finish(std::size_t* activations) {
  if (finished_) throw std::logic_error("ClusterRun::finish called twice");
  finished_ = true;
  for (auto& n : others_) n->stop();
  local_->shutdown();
  etcd_.reset();

  std::vector<std::string> logs;
  for (std::size_t k = 1; k <= died_us_.size(); ++k) logs.push_back(node_log_file(dir_, k));
  return find_double_activation(logs, died_us_, activations);
}

}  // namespace troupe::bench
