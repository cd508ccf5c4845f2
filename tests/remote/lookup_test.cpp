// Node::lookup's errors, one test each: what a lookup that finds no actor
// says, as a LookupError and as a sentence naming the node and the name.

#include <chrono>
#include <cstdint>
#include <string>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <troupe/remote/lookup_result.hpp>
#include <troupe/remote/node.hpp>

#include "nodes.hpp"
#include "test_actors.hpp"

namespace lookup_test {

using namespace std::chrono_literals;
using remote_test::ChildNode;
using remote_test::Echo;
using remote_test::Local;
using troupe::remote::LookupError;
using troupe::remote::LookupFailed;

// A loopback port bound but not listening: a dial there is refused, and no
// other process can take the port while this holds it.
class DeadPort {
 public:
  DeadPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot bind a loopback port");
    }
    address_ = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }
  DeadPort(const DeadPort&) = delete;
  ~DeadPort() { ::close(fd_); }
  const std::string& address() const { return address_; }

 private:
  int fd_;
  std::string address_;
};

TEST(Lookup, FindsAPublishedActor) {
  ChildNode child({});
  Local local;
  auto r = local.run(local.node->lookup<Echo>(child.address(), "echo", 10s));
  ASSERT_TRUE(r) << r.detail();
  EXPECT_EQ(r->incarnation(), child.incarnation());
  EXPECT_EQ(r.value(), *r);
}

TEST(Lookup, ANameNothingIsPublishedUnderIsNotFound) {
  ChildNode child({});
  Local local;
  auto r = local.run(local.node->lookup<Echo>(child.address(), "nobody", 10s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), LookupError::kNotFound);
  EXPECT_EQ(r.detail(), "nothing is published as \"nobody\" on " + child.address());
  EXPECT_STREQ(to_string(r.error()), "not found");
}

TEST(Lookup, AnActorWithoutHandlersForTheClassMessagesIsTheWrongType) {
  ChildNode child({});
  Local local;
  // "order" is an OrderCheck: it has no handler for Echo's Ping.
  auto r = local.run(local.node->lookup<Echo>(child.address(), "order", 10s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), LookupError::kWrongType);
  EXPECT_EQ(r.detail(), "\"order\" on " + child.address() + " has no handler for remote_test.Ping");
}

TEST(Lookup, ANodeNobodyListensAtIsUnreachable) {
  DeadPort port;
  Local local;
  const auto started = std::chrono::steady_clock::now();
  auto r = local.run(local.node->lookup<Echo>(port.address(), "echo", 300ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), LookupError::kUnreachable);
  EXPECT_EQ(r.detail(), "node " + port.address() + " is not connected");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "it gives up at the timeout";
}

TEST(Lookup, AConnectedNodeThatDoesNotAnswerTimesOut) {
  ChildNode child({});
  Local local;  // keepalive at its default (10 s): the frozen node stays connected
  auto echo = local.run(local.node->lookup<Echo>(child.address(), "echo", 10s));
  ASSERT_TRUE(echo) << echo.detail();
  child.freeze();
  auto r = local.run(local.node->lookup<Echo>(child.address(), "echo", 300ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), LookupError::kTimeout);
  EXPECT_EQ(r.detail(), "node " + child.address() + " did not answer the lookup in time");
}

TEST(Lookup, ValueWithoutARefThrowsLookupFailedWithTheSentence) {
  ChildNode child({});
  Local local;
  auto r = local.run(local.node->lookup<Echo>(child.address(), "nobody", 10s));
  ASSERT_FALSE(r);
  try {
    (void)r.value();
    FAIL() << "value() should have thrown";
  } catch (const LookupFailed& e) {
    EXPECT_EQ(e.error(), LookupError::kNotFound);
    EXPECT_EQ(std::string(e.what()), "troupe: lookup failed: not found: " + r.detail());
  }
}

}  // namespace lookup_test
