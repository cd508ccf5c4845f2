#pragma once

// A real etcd for tests: one member on free loopback ports, with a fresh
// data directory (removed at the end), that a test can stop, kill, pause
// and start again on the same ports and data. Also etcdctl against it,
// and TLS certificates made with openssl.
//
// Readiness is etcd's own word for it: its log (stderr, read through a
// pipe by a thread that keeps draining it) says "ready to serve client
// requests". If etcd is not installed, the constructor throws with a
// message that says what to install.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace troupe::test {

/// The path of `program` in $PATH, or empty.
inline std::string find_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

/// A loopback TCP port nobody listens on right now.
inline int free_loopback_port() {
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

/// Runs `argv` to its end, its stdout and stderr captured into `output`;
/// gives its exit status (-1 if it could not start).
inline int run_program(const std::vector<std::string>& argv, std::string* output = nullptr) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n = 0;
  while (rc == 0 && (n = ::read(out[0], buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  if (output) *output = text;
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// A CA and certificates it signed, made with openssl in a temporary
/// folder (removed at the end): "server" (for 127.0.0.1 and localhost)
/// and "client", each as NAME.pem and NAME.key, and ca.pem.
class TestCertificates {
 public:
  TestCertificates() {
    char tmpl[] = "/tmp/troupe-etcd-tls-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (find_program("openssl").empty())
      throw std::runtime_error("openssl is not installed (Debian: apt-get install openssl)");
    run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj",
         "/CN=troupe-test-ca"});
    make("server", "DNS:localhost,IP:127.0.0.1");
    make("client", "DNS:troupe-test-client");
  }
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;
  ~TestCertificates() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string path(const std::string& file) const { return dir_ + "/" + file; }

 private:
  void make(const std::string& name, const std::string& san) {
    std::ofstream(path(name + ".ext")) << "subjectAltName=" << san << "\n";
    run({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         path(name + ".key"), "-out", path(name + ".csr"), "-subj", "/CN=" + name});
    run({"x509", "-req", "-in", path(name + ".csr"), "-CA", path("ca.pem"), "-CAkey",
         path("ca.key"), "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2", "-extfile",
         path(name + ".ext")});
  }
  void run(std::vector<std::string> args) {
    args.insert(args.begin(), find_program("openssl"));
    std::string output;
    if (run_program(args, &output) != 0)
      throw std::runtime_error("openssl " + args[1] + " failed: " + output);
  }

  std::string dir_;
};

/// How an EtcdServer is set up.
struct EtcdServerOptions {
  /// Serve clients over TLS with these files (and check client
  /// certificates against `ca_file` when it is set).
  std::string cert_file{};
  std::string key_file{};
  std::string ca_file{};
};

/// One etcd member on loopback. Started by the constructor; killed and
/// its data removed by the destructor. Not thread-safe (one test drives
/// it); the log reader is its own thread.
class EtcdServer {
 public:
  explicit EtcdServer(EtcdServerOptions options = {}) : options_(std::move(options)) {
    program_ = find_program("etcd");
    if (program_.empty())
      throw std::runtime_error(
          "etcd is not installed: the cluster tests run a real etcd (Debian: apt-get install "
          "etcd-server etcd-client, which cmake/install-deps.sh does)");
    char tmpl[] = "/tmp/troupe-etcd-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    client_port_ = free_loopback_port();
    peer_port_ = free_loopback_port();
    while (peer_port_ == client_port_) peer_port_ = free_loopback_port();
    start();
  }
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;
  ~EtcdServer() {
    if (pid_ > 0) kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// "127.0.0.1:PORT", what clients dial.
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(client_port_); }
  bool running() const { return pid_ > 0; }

  /// Starts etcd (again: same ports, same data) and waits until it serves
  /// clients; throws, with its log, if it does not within 30 s.
  void start() {
    if (pid_ > 0) throw std::logic_error("etcd is already running");
    const std::string scheme = options_.cert_file.empty() ? "http://" : "https://";
    const std::string client_url = scheme + endpoint();
    const std::string peer_url = "http://127.0.0.1:" + std::to_string(peer_port_);
    std::vector<std::string> argv = {
        program_, "--name", "troupe-test", "--data-dir", dir_ + "/data", "--listen-client-urls",
        client_url, "--advertise-client-urls", client_url, "--listen-peer-urls", peer_url,
        "--initial-advertise-peer-urls", peer_url, "--initial-cluster", "troupe-test=" + peer_url,
        // A short election timeout makes a one-member cluster elect itself
        // at once, and lowers the smallest lease TTL etcd grants (1 s).
        "--heartbeat-interval", "10", "--election-timeout", "100"};
    if (!options_.cert_file.empty()) {
      argv.insert(argv.end(), {"--cert-file", options_.cert_file, "--key-file", options_.key_file});
      if (!options_.ca_file.empty())
        argv.insert(argv.end(), {"--client-cert-auth", "--trusted-ca-file", options_.ca_file});
    }

    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    // fork rather than posix_spawn, for PR_SET_PDEATHSIG: an etcd whose
    // test process died (a ctest timeout kills it) dies with it instead of
    // holding its ports. Only async-signal-safe calls between fork and exec.
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(null_fd, 0);
      ::dup2(err[1], 1);
      ::dup2(err[1], 2);
      ::execve(args[0], args.data(), environ);
      ::_exit(127);
    }
    ::close(null_fd);
    ::close(err[1]);
    if (pid < 0) {
      ::close(err[0]);
      throw std::runtime_error("cannot start " + program_);
    }
    pid_ = pid;
    paused_ = false;
    {
      std::lock_guard lock(mutex_);
      ready_ = false;
      ended_ = false;
      log_scan_ = log_.size();  // a restart's own line, not the last run's
    }
    reader_ = std::thread([this, fd = err[0]] { read_log(fd); });

    std::unique_lock lock(mutex_);
    const bool ok = cv_.wait_for(lock, std::chrono::seconds(30), [&] { return ready_ || ended_; });
    if (!ok || !ready_) {
      const std::string why =
          ended_ ? "etcd exited before it was ready" : "etcd was not ready in 30 s";
      const std::string tail = log_.size() > 4000 ? log_.substr(log_.size() - 4000) : log_;
      lock.unlock();
      kill();
      throw std::runtime_error(why + "; its log ends with:\n" + tail);
    }
  }

  /// SIGTERM, and waits for etcd to exit.
  void stop() { end(SIGTERM); }
  /// SIGKILL, and waits for etcd to exit.
  void kill() { end(SIGKILL); }
  /// Freezes etcd (SIGSTOP) and waits until it is stopped: its sockets
  /// stay open, it answers nothing.
  void pause() {
    if (pid_ <= 0 || paused_ || ::kill(pid_, SIGSTOP) != 0) return;
    int status = 0;
    while (::waitpid(pid_, &status, WUNTRACED) < 0 && errno == EINTR) {
    }
    paused_ = true;
  }
  /// Lets a frozen etcd run again (SIGCONT).
  void resume() {
    if (pid_ <= 0 || !paused_ || ::kill(pid_, SIGCONT) != 0) return;
    int status = 0;
    while (::waitpid(pid_, &status, WCONTINUED) < 0 && errno == EINTR) {
    }
    paused_ = false;
  }

  /// Runs etcdctl (API v3) against this etcd: `args` after the endpoint
  /// and TLS flags. Gives its exit status; its output goes to `output`.
  int etcdctl(const std::vector<std::string>& args, std::string* output = nullptr) const {
    const std::string program = find_program("etcdctl");
    if (program.empty())
      throw std::runtime_error("etcdctl is not installed (Debian: apt-get install etcd-client)");
    std::vector<std::string> argv = {program, "--endpoints", endpoint(), "--dial-timeout", "5s"};
    if (!options_.cert_file.empty()) argv.insert(argv.end(), {"--cacert", options_.ca_file});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, output);
  }

  /// What etcd logged so far.
  std::string log() const {
    std::lock_guard lock(mutex_);
    return log_;
  }

 private:
  void end(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    if (paused_) ::kill(pid_, SIGCONT);  // a stopped process would not act on SIGTERM
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    paused_ = false;
    if (reader_.joinable()) reader_.join();  // the pipe's end: etcd's stderr closed
  }

  // Keeps the pipe drained (etcd blocks on a full one) and watches for
  // the line that says etcd serves clients.
  void read_log(int fd) {
    char buf[4096];
    std::string line;
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      log_.append(buf, static_cast<std::size_t>(n));
      if (!ready_ && log_.find("ready to serve client requests", log_scan_) != std::string::npos) {
        ready_ = true;
        cv_.notify_all();
      }
      log_scan_ = log_.size() > 64 ? log_.size() - 64 : 0;
    }
    ::close(fd);
    std::lock_guard lock(mutex_);
    ended_ = true;
    cv_.notify_all();
  }

  EtcdServerOptions options_;
  std::string program_;
  std::string dir_;
  int client_port_ = 0;
  int peer_port_ = 0;
  pid_t pid_ = -1;
  bool paused_ = false;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string log_;
  std::size_t log_scan_ = 0;
  bool ready_ = false;
  bool ended_ = false;
};

}  // namespace troupe::test
