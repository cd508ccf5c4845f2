// Real IRC clients against the chat server: two ii processes (the suckless
// file-based client, Debian package ii) register, join a channel, talk,
// send a private message, part and quit. ii writes what it receives to
// files (<dir>/<server>/[<channel>/]out) and reads commands from FIFOs
// (.../in); the test waits for the lines it expects in those files, with
// a timeout. Skipped when ii is not installed.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <troupe/actor/actor_system.hpp>

#include "../support/wait_exit.hpp"
#include "../support/wait_for_path.hpp"
#include "chat/server.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

bool ii_installed() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (::access((fs::path(dir) / "ii").c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits until `file` contains `needle`: ii is another process, writing
// the file (and making its folders) as lines arrive.
bool wait_for(const fs::path& file, const std::string& needle,
              std::chrono::milliseconds timeout = 10s) {
  return troupe::test::wait_for_path(
      file, [&] { return read_file(file).find(needle) != std::string::npos; }, timeout);
}

// One ii process, with its files under dir/<nick>.
class IiClient {
 public:
  IiClient(const fs::path& dir, const std::string& nick, std::uint16_t port)
      : root_(dir / nick / "127.0.0.1") {
    const std::string port_text = std::to_string(port);
    const std::string prefix = (dir / nick).string();
    std::vector<std::string> args = {"ii", "-s", "127.0.0.1", "-p",  port_text,
                                     "-n", nick, "-i",        prefix};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawnp(&pid_, "ii", nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  IiClient(const IiClient&) = delete;
  IiClient& operator=(const IiClient&) = delete;
  ~IiClient() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  bool started() const { return pid_ > 0; }
  /// Writes one command or message line to the server's or a channel's FIFO.
  bool say(const std::string& line, const std::string& where = "") {
    const fs::path fifo = (where.empty() ? root_ : root_ / where) / "in";
    if (!wait_for_fifo(fifo)) return false;
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd < 0) return false;
    const std::string data = line + "\n";
    const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
    ::close(fd);
    return ok;
  }
  fs::path out(const std::string& where = "") const {
    return (where.empty() ? root_ : root_ / where) / "out";
  }
  bool exits() {
    exited_ = troupe::test::wait_exit(pid_, 10s).has_value();
    return exited_;
  }

 private:
  static bool wait_for_fifo(const fs::path& fifo) {
    return troupe::test::wait_for_path(
        fifo,
        [&] {
          struct stat st {};
          return ::stat(fifo.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
        },
        10s);
  }

  fs::path root_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

TEST(ChatWithIi, TwoRealClientsRegisterJoinTalkWhisperPartAndQuit) {
  if (!ii_installed()) GTEST_SKIP() << "ii is not installed (Debian package ii)";
  troupe::ActorSystem system({.workers = 2});
  chat::ServerOptions options;
  options.port = 0;
  chat::ChatServer server(system, options);
  auto address = server.start();
  ASSERT_TRUE(address) << address.error().message();
  std::string dir_template = (fs::temp_directory_path() / "troupe-chat-ii-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir_template.data()), nullptr);
  const fs::path dir = dir_template;
  {
    IiClient alice(dir, "alice", address->port());
    IiClient bob(dir, "bob", address->port());
    ASSERT_TRUE(alice.started() && bob.started());
    ASSERT_TRUE(wait_for(alice.out(), "Welcome to the Internet Relay Network alice!"))
        << read_file(alice.out());
    ASSERT_TRUE(wait_for(bob.out(), "Welcome to the Internet Relay Network bob!"))
        << read_file(bob.out());

    ASSERT_TRUE(alice.say("/j #troupe"));
    ASSERT_TRUE(wait_for(alice.out("#troupe"), "alice(alice@127.0.0.1) has joined #troupe"));
    ASSERT_TRUE(bob.say("/j #troupe"));
    EXPECT_TRUE(wait_for(alice.out("#troupe"), "bob(bob@127.0.0.1) has joined #troupe"))
        << read_file(alice.out("#troupe"));

    ASSERT_TRUE(alice.say("hello from alice", "#troupe"));
    EXPECT_TRUE(wait_for(bob.out("#troupe"), "<alice> hello from alice"))
        << read_file(bob.out("#troupe"));
    ASSERT_TRUE(bob.say("hi alice", "#troupe"));
    EXPECT_TRUE(wait_for(alice.out("#troupe"), "<bob> hi alice"))
        << read_file(alice.out("#troupe"));

    ASSERT_TRUE(bob.say("/t the topic, set by bob", "#troupe"));
    EXPECT_TRUE(wait_for(alice.out("#troupe"), "bob changed topic to \"the topic, set by bob\""))
        << read_file(alice.out("#troupe"));

    ASSERT_TRUE(bob.say("/j alice just for you"));  // ii: /j <nick> <text> is a private message
    EXPECT_TRUE(wait_for(alice.out("bob"), "<bob> just for you")) << read_file(alice.out());

    ASSERT_TRUE(bob.say("/l", "#troupe"));
    EXPECT_TRUE(wait_for(alice.out("#troupe"), "bob(bob@127.0.0.1) has left #troupe"))
        << read_file(alice.out("#troupe"));

    // QUIT: the server says ERROR and closes, and ii exits.
    ASSERT_TRUE(alice.say("/q see you"));
    EXPECT_TRUE(alice.exits()) << "ii did not exit after QUIT";
    EXPECT_TRUE(bob.say("/q"));
    EXPECT_TRUE(bob.exits()) << "ii did not exit after QUIT";
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
