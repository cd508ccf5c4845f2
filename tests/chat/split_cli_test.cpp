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
#include "chat_process.hpp"
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
using chat::test::ChatProcess;
using chat::test::TempDir;

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
