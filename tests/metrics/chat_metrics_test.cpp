// troupe-chat --metrics: the chat example's metrics, scraped while two IRC
// clients chat.
#include <cstdio>
#include <stdexcept>
#include <string>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../support/child_process.hpp"
#include "../support/sibling_binary.hpp"
#include "scrape.hpp"

namespace {

// An IRC client on a plain blocking socket.
class IrcClient {
 public:
  IrcClient(const std::string& ip, int port, const std::string& nick) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot connect to the chat");
    }
    timeval tv{20, 0};  // a lost line fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    send("NICK " + nick + "\r\nUSER " + nick + " 0 * :" + nick + "\r\n");
  }
  ~IrcClient() { ::close(fd_); }
  void send(const std::string& lines) {
    (void)::send(fd_, lines.data(), lines.size(), MSG_NOSIGNAL);
  }
  // Reads until `text` has come (true) or the connection ends or times out.
  bool wait_for(const std::string& text) {
    char buf[4096];
    for (;;) {
      if (seen_.find(text) != std::string::npos) return true;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      seen_.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string seen_;
};

// "troupe-chat: <what> <address>..." from its stdout: the address.
std::string address_after(std::FILE* out, const std::string& prefix) {
  char line[512];
  while (std::fgets(line, sizeof line, out)) {
    const std::string l = line;
    if (l.rfind(prefix, 0) == 0) {
      std::string rest = l.substr(prefix.size());
      return rest.substr(0, rest.find_first_of(" \n/"));
    }
  }
  throw std::runtime_error("troupe-chat did not print " + prefix);
}

TEST(ChatMetrics, ServesMetricsWhileClientsChat) {
  troupe::test::ChildProcess chat({troupe::test::sibling_binary(CHAT_BINARY), "--host", "127.0.0.1",
                                   "--port", "0", "--metrics", "127.0.0.1:0"});
  const std::string metrics = address_after(chat.stdout_file(), "troupe-chat: metrics on http://");
  const std::string irc = address_after(chat.stdout_file(), "troupe-chat: listening on ");
  const metrics_test::Scraper s("http://" + metrics);
  const double handled0 = s.get("troupe_messages_handled_total");

  const std::string ip = irc.substr(0, irc.rfind(':'));
  const int port = std::stoi(irc.substr(irc.rfind(':') + 1));
  IrcClient alice(ip, port, "alice");
  IrcClient bob(ip, port, "bob");
  alice.send("JOIN #metrics\r\n");
  ASSERT_TRUE(alice.wait_for("366 alice #metrics"));  // end of NAMES: joined
  bob.send("JOIN #metrics\r\n");
  ASSERT_TRUE(alice.wait_for("JOIN #metrics"));
  ASSERT_TRUE(bob.wait_for("366 bob #metrics"));
  for (int i = 0; i < 50; ++i) alice.send("PRIVMSG #metrics :hello " + std::to_string(i) + "\r\n");
  ASSERT_TRUE(bob.wait_for("hello 49"));

  const std::string text = s.scrape();
  // Each line went through actors: the sessions and the channel at least.
  EXPECT_GE(*metrics_test::value(text, "troupe_messages_handled_total"), handled0 + 50);
  EXPECT_GE(*metrics_test::value(text, "troupe_actors_live"), 1.0);
  EXPECT_EQ(*metrics_test::value(text, "troupe_dead_letters_total{reason=\"mailbox_full\"}"), 0.0);
  EXPECT_GE(*metrics_test::value(text, "troupe_workers"), 1.0);

  // The live dump on the same port: the registry and the room are actors.
  const auto dump = metrics_test::curl("http://" + metrics + "/dump");
  ASSERT_EQ(dump.status, 200);
  EXPECT_NE(dump.body.find("chat::Registry"), std::string::npos) << dump.body;
  EXPECT_NE(dump.body.find("chat::Room"), std::string::npos) << dump.body;
  EXPECT_NE(dump.body.find("0 probable deadlocks"), std::string::npos) << dump.body;
}

}  // namespace
