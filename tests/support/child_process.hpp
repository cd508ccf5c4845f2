#pragma once

// A helper program a multi-process test starts (a remote node, a cluster
// member): its stdin is a pipe the test closes to ask it to stop, its
// stdout a pipe the test reads lines from, its stderr a temporary file that
// a failing test prints.

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace troupe::test {

/// One child process, started by the constructor. Killed (SIGKILL) and
/// reaped when destroyed unless it was stopped or killed first. Owned by
/// one test thread; `stdout_file` may be read by another thread (one).
class ChildProcess {
 public:
  /// Starts `args[0]` (a path) with `args`.
  explicit ChildProcess(std::vector<std::string> args) {
    int out[2];
    int in[2];
    if (::pipe(out) != 0 || ::pipe(in) != 0) throw std::runtime_error("pipe");
    char tmpl[] = "/tmp/troupe-child-stderr-XXXXXX";
    const int err = ::mkstemp(tmpl);
    if (err < 0) throw std::runtime_error("mkstemp");
    stderr_path_ = tmpl;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0].c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err);
    if (rc != 0) {
      ::close(in[1]);
      ::close(out[0]);
      std::remove(stderr_path_.c_str());
      throw std::runtime_error("cannot start " + args[0]);
    }
    stdin_ = in[1];
    stdout_ = ::fdopen(out[0], "r");
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) kill();
    if (stdout_) std::fclose(stdout_);
    std::remove(stderr_path_.c_str());
  }

  pid_t pid() const { return pid_; }
  /// Its stdout, for line reads (std::fgets).
  std::FILE* stdout_file() const { return stdout_; }

  /// SIGKILL: no goodbye to anyone. Returns once it is reaped.
  void kill() {
    ::kill(pid_, SIGKILL);
    reap();
  }
  /// SIGSTOP: its sockets stay open, but nothing answers on them. Returns
  /// once it is stopped (a signal is delivered asynchronously: without the
  /// wait, the process could still answer for a moment).
  void freeze() {
    ::kill(pid_, SIGSTOP);
    int status = 0;
    while (::waitpid(pid_, &status, WUNTRACED) < 0 && errno == EINTR) {
    }
  }
  /// Closes its stdin (the helper programs take that as "shut down
  /// cleanly") and waits until it has exited.
  void stop() {
    close_stdin();
    reap();
  }
  /// What it wrote to stderr so far.
  std::string stderr_text() const {
    std::ifstream in(stderr_path_);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  void close_stdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }
  void reap() {
    int status = 0;
    if (pid_ > 0) {
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    pid_ = -1;
    close_stdin();
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  std::FILE* stdout_ = nullptr;
  std::string stderr_path_;
};

}  // namespace troupe::test
