// A troupe-chat process, started by the tests as a user runs it, and a
// temporary folder for its files.
#pragma once

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/sibling_binary.hpp"
#include "../support/wait_exit.hpp"

extern char** environ;

namespace chat::test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A temporary folder, removed with what is in it.
class TempDir {
 public:
  TempDir() {
    std::string path = (fs::temp_directory_path() / "troupe-chat-test-XXXXXX").string();
    if (::mkdtemp(path.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = path;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  fs::path file(const std::string& name, const std::string& contents) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << contents;
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A troupe-chat process: its stdout read line by line, its stderr in a
// file. Killed (SIGKILL) when destroyed unless it ended first.
class ChatProcess {
 public:
  ChatProcess(const fs::path& dir, std::vector<std::string> args) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    stderr_path_ = dir / ("stderr-" + std::to_string(++count_));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    const std::string program = troupe::test::sibling_binary(CHAT_BINARY);
    args.insert(args.begin(), program);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int spawned = ::posix_spawn(&pid_, program.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    if (spawned != 0) {
      ::close(out[0]);
      pid_ = -1;
      throw std::runtime_error("cannot start " + program);
    }
    stdout_ = out[0];
  }
  ChatProcess(const ChatProcess&) = delete;
  ChatProcess& operator=(const ChatProcess&) = delete;
  ~ChatProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
    if (stdout_ >= 0) ::close(stdout_);
  }

  /// The next line of its stdout that starts with `prefix`, less the
  /// prefix; empty if its stdout ends or `timeout` passes first.
  std::optional<std::string> line_after(const std::string& prefix,
                                        std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (line.starts_with(prefix)) return line.substr(prefix.size());
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[512];
      const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// Waits (up to `timeout`) for it to exit: its exit status, or -1 if it
  /// was killed by a signal (a crash) or is still running.
  int wait(std::chrono::milliseconds timeout = 10s) {
    const auto status = troupe::test::wait_exit(pid_, timeout);
    if (!status) return -1;  // still running
    pid_ = -1;
    return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  }
  /// SIGKILL: no goodbye to anyone; returns once it is gone.
  void kill() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  /// SIGTERM, then its exit status.
  int stop() {
    ::kill(pid_, SIGTERM);
    return wait();
  }

  std::string stderr_text() const {
    std::ifstream in(stderr_path_);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  static inline int count_ = 0;
  pid_t pid_ = -1;
  int stdout_ = -1;
  std::string buffer_;
  fs::path stderr_path_;
};

}  // namespace chat::test
