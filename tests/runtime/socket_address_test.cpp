#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include <troupe/runtime/socket_address.hpp>

namespace {

using troupe::SocketAddress;

TEST(SocketAddress, ParsesAnIpv4AddressWithPort) {
  SocketAddress a = SocketAddress::parse("127.0.0.1:6667").value();
  EXPECT_TRUE(a.is_ipv4());
  EXPECT_EQ(a.port(), 6667);
  EXPECT_EQ(a.bytes()[0], 127);
  EXPECT_EQ(a.bytes()[3], 1);
  EXPECT_EQ(a, SocketAddress::ipv4_loopback(6667));
  EXPECT_EQ(a.to_string(), "127.0.0.1:6667");
  EXPECT_EQ(a.ip_string(), "127.0.0.1");
}

TEST(SocketAddress, ParsesABracketedIpv6AddressWithPort) {
  SocketAddress a = SocketAddress::parse("[::1]:80").value();
  EXPECT_TRUE(a.is_ipv6());
  EXPECT_EQ(a.port(), 80);
  EXPECT_EQ(a, SocketAddress::ipv6_loopback(80));
  EXPECT_EQ(a.to_string(), "[::1]:80");
}

TEST(SocketAddress, FormatsIpv6InCanonicalForm) {
  EXPECT_EQ(SocketAddress::parse("[2001:0db8:0000:0000:0000:0000:0000:0001]:443")->to_string(),
            "[2001:db8::1]:443");
}

TEST(SocketAddress, KeepsANumericIpv6ScopeId) {
  SocketAddress a = SocketAddress::parse("[fe80::1%7]:9000").value();
  EXPECT_EQ(a.scope_id(), 7u);
  EXPECT_EQ(a.to_string(), "[fe80::1%7]:9000");
  EXPECT_EQ(SocketAddress::parse(a.to_string()).value(), a);
}

TEST(SocketAddress, FromIpCombinesANumericAddressAndAPort) {
  EXPECT_EQ(SocketAddress::from_ip("10.1.2.3", 5).value().to_string(), "10.1.2.3:5");
  EXPECT_EQ(SocketAddress::from_ip("::", 0).value(), SocketAddress::ipv6_any(0));
  EXPECT_EQ(SocketAddress::from_ip("0.0.0.0", 1).value(), SocketAddress::ipv4_any(1));
}

TEST(SocketAddress, RejectsAnythingButNumericAddressesWithAValidPort) {
  for (const char* bad :
       {"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+80",
        "127.0.0.1: 80", "127.0.0.1:80x", "localhost:80", "256.0.0.1:80", "1.2.3:80", "::1:80",
        "[::1]80", "[::1]:", "[127.0.0.1]:80", "[::1:80", "[fe80::1%]:80",
        "[fe80::1%no-such-interface]:80"}) {
    EXPECT_EQ(SocketAddress::parse(bad).error(), std::errc::invalid_argument) << bad;
  }
  EXPECT_EQ(SocketAddress::from_ip("example.com", 80).error(), std::errc::invalid_argument);
  EXPECT_EQ(SocketAddress::from_ip("[::1]", 80).error(), std::errc::invalid_argument);
}

TEST(SocketAddress, AcceptsTheExtremePorts) {
  EXPECT_EQ(SocketAddress::parse("1.2.3.4:0")->port(), 0);
  EXPECT_EQ(SocketAddress::parse("1.2.3.4:65535")->port(), 65535);
}

TEST(SocketAddress, DefaultIsTheIpv4AnyAddressWithPortZero) {
  EXPECT_EQ(SocketAddress(), SocketAddress::ipv4_any(0));
  EXPECT_EQ(SocketAddress().to_string(), "0.0.0.0:0");
}

TEST(SocketAddress, WithPortChangesOnlyThePort) {
  const SocketAddress a = SocketAddress::parse("[::1]:1").value();
  EXPECT_EQ(a.with_port(2).to_string(), "[::1]:2");
  EXPECT_NE(a.with_port(2), a);
}

}  // namespace
