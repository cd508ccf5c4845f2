#include <cstddef>
#include <optional>
#include <system_error>
#include <utility>

#include <gtest/gtest.h>

#include <troupe/runtime/detail/reactor.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/tcp_listener.hpp>
#include <troupe/runtime/tcp_stream.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "test_support.hpp"

namespace {

using troupe::IoResult;
using troupe::Runtime;
using troupe::SocketAddress;
using troupe::Task;
using troupe::TaskCancelled;
using troupe::TcpListener;
using troupe::TcpStream;
using troupe::test::Gate;
using troupe::test::LifeCounter;
using troupe::test::SignalWhenPending;
using troupe::test::Tracked;
using troupe::test::wait_for;

Task<IoResult<TcpListener::Accepted>> accept_once(TcpListener& l) { co_return co_await l.accept(); }

Task<IoResult<TcpStream>> connect_to(SocketAddress addr) {
  co_return co_await TcpStream::connect(addr);
}

TEST(TcpListener, BindingPortZeroPicksAFreePortReportedByLocalAddress) {
  IoResult<TcpListener> l = TcpListener::bind(SocketAddress::ipv4_loopback(0));
  ASSERT_TRUE(l.has_value()) << l.error().message();
  const SocketAddress addr = l->local_address().value();
  EXPECT_TRUE(addr.is_ipv4());
  EXPECT_NE(addr.port(), 0);
  EXPECT_EQ(addr.with_port(0), SocketAddress::ipv4_loopback(0));
}

TEST(TcpListener, BindingAPortInUseFailsWithAddressInUse) {
  TcpListener first = TcpListener::bind(SocketAddress::ipv4_loopback(0)).value();
  IoResult<TcpListener> second = TcpListener::bind(first.local_address().value());
  EXPECT_EQ(second.error(), std::errc::address_in_use);
}

TEST(TcpListener, BindingAnAddressThatIsNotLocalFailsWithAddressNotAvailable) {
  // 192.0.2.0/24 is TEST-NET-1: never assigned to an interface.
  IoResult<TcpListener> l = TcpListener::bind(SocketAddress::parse("192.0.2.1:0").value());
  EXPECT_EQ(l.error(), std::errc::address_not_available);
}

TEST(TcpListener, AcceptReturnsTheStreamAndTheClientAddress) {
  Runtime rt({.workers = 2});
  TcpListener listener = TcpListener::bind(SocketAddress::ipv4_loopback(0)).value();
  auto accepting = rt.spawn(accept_once(listener));
  TcpStream client = rt.block_on(connect_to(listener.local_address().value())).value();
  IoResult<TcpListener::Accepted> accepted = accepting.wait();
  ASSERT_TRUE(accepted.has_value()) << accepted.error().message();
  EXPECT_EQ(accepted->peer, client.local_address().value());
  EXPECT_EQ(accepted->stream.peer_address().value(), client.local_address().value());
  EXPECT_EQ(accepted->stream.local_address().value(), listener.local_address().value());
}

TEST(TcpListener, AListenerBoundBeforeTheRuntimeJoinsItsReactorOnlyWhenAcceptWaits) {
  TcpListener listener = TcpListener::bind(SocketAddress::ipv4_loopback(0)).value();
  Runtime rt({.workers = 2});
  auto* reactor = rt.scheduler().reactor();
  EXPECT_EQ(reactor->registrations(), 0u);
  Gate pending;
  struct Accept {
    static Task<IoResult<TcpListener::Accepted>> run(TcpListener& l, Gate& pending) {
      auto accept = l.accept();
      co_return co_await SignalWhenPending(accept, pending);
    }
  };
  auto accepting = rt.spawn(Accept::run(listener, pending));
  rt.block_on(wait_for(pending));
  EXPECT_EQ(reactor->registrations(), 1u);
  TcpStream client = rt.block_on(connect_to(listener.local_address().value())).value();
  EXPECT_TRUE(accepting.wait().has_value());
  const std::size_t with_listener = reactor->registrations();
  { TcpListener gone = std::move(listener); }
  EXPECT_EQ(reactor->registrations(), with_listener - 1);
}

Task<IoResult<TcpListener::Accepted>> accept_signalling(TcpListener& l, Gate& pending,
                                                        LifeCounter& life) {
  Tracked in_frame(life);
  auto accept = l.accept();
  co_return co_await SignalWhenPending(accept, pending);
}

TEST(TcpListener, CancellingABlockedAcceptLeavesTheListenerUsableThenDestroyable) {
  Runtime rt({.workers = 2});
  auto* reactor = rt.scheduler().reactor();
  std::optional<TcpListener> listener = TcpListener::bind(SocketAddress::ipv4_loopback(0)).value();
  const SocketAddress addr = listener->local_address().value();
  LifeCounter life;
  Gate pending;
  auto blocked = rt.spawn(accept_signalling(*listener, pending, life));
  rt.block_on(wait_for(pending));
  blocked.cancel();
  EXPECT_THROW((void)blocked.wait(), TaskCancelled);
  EXPECT_EQ(life.live(), 0);
  EXPECT_EQ(reactor->registrations(), 1u);

  // A new accept on the same listener gets the next client.
  auto accepting = rt.spawn(accept_once(*listener));
  TcpStream client = rt.block_on(connect_to(addr)).value();
  IoResult<TcpListener::Accepted> accepted = accepting.wait();
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->peer, client.local_address().value());

  // Cancel another blocked accept, then destroy the listener.
  Gate pending_again;
  auto blocked_again = rt.spawn(accept_signalling(*listener, pending_again, life));
  rt.block_on(wait_for(pending_again));
  blocked_again.cancel();
  EXPECT_THROW((void)blocked_again.wait(), TaskCancelled);
  const std::size_t with_listener = reactor->registrations();
  listener.reset();
  EXPECT_EQ(reactor->registrations(), with_listener - 1);
}

TEST(TcpListener, AcceptOnASchedulerWithoutReactorFailsWithOperationNotSupported) {
  TcpListener listener = TcpListener::bind(SocketAddress::ipv4_loopback(0)).value();
  troupe::TestExecutor ex;
  EXPECT_EQ(ex.block_on(accept_once(listener)).error(), std::errc::operation_not_supported);
}

TEST(TcpListener, Ipv6LoopbackAcceptsAnIpv6Client) {
  IoResult<TcpListener> listener = TcpListener::bind(SocketAddress::ipv6_loopback(0));
  if (!listener) GTEST_SKIP() << "[::1] is not bindable here: " << listener.error().message();
  Runtime rt({.workers = 2});
  const SocketAddress addr = listener->local_address().value();
  EXPECT_TRUE(addr.is_ipv6());
  EXPECT_EQ(addr.to_string(), "[::1]:" + std::to_string(addr.port()));
  auto accepting = rt.spawn(accept_once(*listener));
  TcpStream client = rt.block_on(connect_to(addr)).value();
  IoResult<TcpListener::Accepted> accepted = accepting.wait();
  ASSERT_TRUE(accepted.has_value()) << accepted.error().message();
  EXPECT_TRUE(accepted->peer.is_ipv6());
  EXPECT_EQ(accepted->peer.ip_string(), "::1");
}

}  // namespace
