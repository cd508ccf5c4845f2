// troupe-chat split over two processes, as a user runs it: secure by
// default. Without a cluster secret of 32 bytes or more (and without
// --insecure) a split node refuses to start, with a message that says how
// to make one, and exit status 2. With one in a file (--secret-file, as
// `openssl rand -hex 32 > chat.secret` writes it), the two processes find
// each other and clients chat through them.

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
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/runtime/socket_address.hpp>
#include <troupe/runtime/task.hpp>

#include "../support/sibling_binary.hpp"
#include "test_client.hpp"

extern char** environ;

namespace chat_split_cli_test {

using namespace std::chrono_literals;
using chat::test::Ending;
using chat::test::kRanToTheEnd;
using chat::test::TestClient;
using troupe::SocketAddress;
using troupe::Task;
namespace fs = std::filesystem;

// A temporary folder, removed with what is in it.
class TempDir {
 public:
  TempDir() {
    std::string path = (fs::temp_directory_path() / "troupe-chat-split-XXXXXX").string();
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
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (r < 0 || std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(10ms);
    }
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

// What a split node says when it will not start without a secret.
void expect_refused_without_secret(ChatProcess& p) {
  EXPECT_EQ(p.wait(), 2) << p.stderr_text();
  const std::string err = p.stderr_text();
  EXPECT_NE(err.find("needs a cluster secret of at least 32 bytes"), std::string::npos) << err;
  EXPECT_NE(err.find("openssl rand -hex 32 > chat.secret"), std::string::npos) << err;
  EXPECT_EQ(err.find("terminate"), std::string::npos) << err;  // no uncaught exception
}

TEST(SplitSecret, ASplitNodeWithoutASecretDoesNotStart) {
  TempDir dir;
  {
    ChatProcess rooms(dir.path(), {"--rooms-node", "127.0.0.1:0"});
    expect_refused_without_secret(rooms);
  }
  {
    ChatProcess connections(dir.path(), {"--rooms", "127.0.0.1:1", "--port", "0"});
    expect_refused_without_secret(connections);
  }
  {
    // 31 bytes, and a trailing newline that does not count.
    const fs::path short_secret = dir.file("short.secret", std::string(31, 'a') + "\n");
    ChatProcess rooms(dir.path(),
                      {"--rooms-node", "127.0.0.1:0", "--secret-file", short_secret.string()});
    expect_refused_without_secret(rooms);
    EXPECT_NE(rooms.stderr_text().find("31 bytes given"), std::string::npos) << rooms.stderr_text();
  }
  {
    ChatProcess rooms(dir.path(), {"--rooms-node", "127.0.0.1:0", "--secret", "too short"});
    expect_refused_without_secret(rooms);
  }
  {
    ChatProcess rooms(dir.path(), {"--rooms-node", "127.0.0.1:0", "--secret-file",
                                   (dir.path() / "no-such-file").string()});
    EXPECT_EQ(rooms.wait(), 2) << rooms.stderr_text();
    EXPECT_NE(rooms.stderr_text().find("cannot read the secret file"), std::string::npos)
        << rooms.stderr_text();
  }
}

TEST(SplitSecret, InsecureStartsWithoutASecretAndSaysSo) {
  TempDir dir;
  ChatProcess rooms(dir.path(), {"--rooms-node", "127.0.0.1:0", "--insecure"});
  const auto at = rooms.line_after("troupe-chat: rooms node on ");
  ASSERT_TRUE(at) << rooms.stderr_text();
  EXPECT_EQ(rooms.stop(), 0) << rooms.stderr_text();
  EXPECT_NE(rooms.stderr_text().find("--insecure: this node proves nothing"), std::string::npos)
      << rooms.stderr_text();
}

Task<Ending> chat_through_split_processes(SocketAddress addr) {
  auto alice = co_await TestClient::connect(addr);
  auto bob = co_await TestClient::connect(addr);
  CO_ASSERT(alice && bob);
  CO_ASSERT(co_await alice->register_as("alice"), << alice->dump());
  CO_ASSERT(co_await bob->register_as("bob"), << bob->dump());
  CO_ASSERT(co_await alice->join("#split"), << alice->dump());
  CO_ASSERT(co_await bob->join("#split"), << bob->dump());
  CO_ASSERT(co_await alice->send("PRIVMSG #split :over two processes"));
  auto line = co_await bob->expect(":alice!alice@127.0.0.1 PRIVMSG #split :over two processes");
  CO_ASSERT(line, << bob->dump());
  CO_ASSERT(co_await bob->send("PRIVMSG alice :and privately"));
  auto reply = co_await alice->expect(":bob!bob@127.0.0.1 PRIVMSG alice :and privately");
  CO_ASSERT(reply, << alice->dump());
  co_return kRanToTheEnd;
}

TEST(SplitSecret, TwoProcessesWithASecretFileChat) {
  TempDir dir;
  // As `openssl rand -hex 32 > chat.secret` writes it: 64 hex digits and a
  // newline.
  const fs::path secret =
      dir.file("chat.secret", "3f9a1c0e5b7d2a4c6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c0d\n");
  ChatProcess rooms(dir.path(), {"--rooms-node", "127.0.0.1:0", "--secret-file", secret.string()});
  const auto rooms_at = rooms.line_after("troupe-chat: rooms node on ");
  ASSERT_TRUE(rooms_at) << rooms.stderr_text();
  ChatProcess connections(dir.path(), {"--rooms", *rooms_at, "--secret-file", secret.string(),
                                       "--port", "0", "--max-connections-per-address", "0"});
  const auto listening = connections.line_after("troupe-chat: listening on 127.0.0.1:");
  ASSERT_TRUE(listening) << connections.stderr_text() << rooms.stderr_text();
  const auto port = static_cast<std::uint16_t>(std::stoi(*listening));
  auto address = SocketAddress::from_ip("127.0.0.1", port);
  ASSERT_TRUE(address);

  troupe::ActorSystem system({.workers = 1});
  EXPECT_TRUE(chat::test::ran_to_the_end(system.block_on(chat_through_split_processes(*address))))
      << connections.stderr_text() << rooms.stderr_text();

  EXPECT_EQ(connections.stop(), 0) << connections.stderr_text();
  EXPECT_EQ(rooms.stop(), 0) << rooms.stderr_text();
  // Nothing was refused between them.
  EXPECT_EQ(rooms.stderr_text().find("refused"), std::string::npos) << rooms.stderr_text();
  EXPECT_EQ(connections.stderr_text().find("refused"), std::string::npos)
      << connections.stderr_text();
}

}  // namespace chat_split_cli_test
