#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <troupe/runtime/detail/reactor.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/tcp_listener.hpp>
#include <troupe/runtime/tcp_stream.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "test_support.hpp"

namespace {

using troupe::IoResult;
using troupe::JoinHandle;
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

using Bytes = std::vector<std::byte>;

Bytes bytes_of(const std::string& s) {
  Bytes b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) b[i] = static_cast<std::byte>(s[i]);
  return b;
}

std::string string_of(std::span<const std::byte> b) {
  std::string s(b.size(), '\0');
  for (std::size_t i = 0; i < b.size(); ++i) s[i] = static_cast<char>(b[i]);
  return s;
}

// Deterministic, position- and seed-dependent content, so that a reordered
// or dropped chunk changes the checksum.
Bytes pattern(std::uint64_t seed, std::size_t size) {
  Bytes b(size);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& byte : b) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    byte = static_cast<std::byte>(x);
  }
  return b;
}

std::uint64_t fnv1a(std::span<const std::byte> b, std::uint64_t h = 0xcbf29ce484222325ull) {
  for (std::byte c : b) h = (h ^ static_cast<std::uint64_t>(c)) * 0x100000001b3ull;
  return h;
}

Task<void> wait_for_all(std::vector<Gate>& gates) {
  for (Gate& g : gates) co_await g;
}

TcpListener bind_loopback() { return TcpListener::bind(SocketAddress::ipv4_loopback(0)).value(); }

SocketAddress address_of(const TcpListener& l) { return l.local_address().value(); }

// Reads until the peer shuts down its writing side.
Task<IoResult<Bytes>> read_to_end(TcpStream& s, std::size_t chunk = 16 * 1024) {
  Bytes all;
  Bytes buf(chunk);
  for (;;) {
    IoResult<std::size_t> n = co_await s.read(buf);
    if (!n) co_return n.error();
    if (*n == 0) co_return all;
    all.insert(all.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
}

Task<void> echo_connection(TcpStream s) {
  Bytes buf(16 * 1024);
  for (;;) {
    IoResult<std::size_t> n = co_await s.read(buf);
    if (!n || *n == 0) break;
    // Bound first: g++ 12.2 miscompiles a co_await of a temporary in an if
    // condition (compiler_coroutine_test.cpp).
    const bool written = static_cast<bool>(co_await s.write_all(std::span(buf).first(*n)));
    if (!written) break;
  }
  (void)s.shutdown_write();
}

// Accepts `connections` clients and echoes each until it shuts down.
Task<void> echo_server(TcpListener listener, int connections) {
  std::vector<JoinHandle<void>> handlers;
  for (int i = 0; i < connections; ++i) {
    auto accepted = co_await listener.accept();
    if (!accepted) throw std::system_error(accepted.error(), "accept");
    handlers.push_back(troupe::spawn(echo_connection(std::move(accepted->stream))));
  }
  for (auto& h : handlers) co_await h;
}

Task<std::string> echo_once(SocketAddress server, std::string message) {
  TcpStream s = (co_await TcpStream::connect(server)).value();
  const Bytes out = bytes_of(message);
  (co_await s.write_all(out)).value();
  s.shutdown_write().value();
  Bytes back = (co_await read_to_end(s)).value();
  co_return string_of(back);
}

TEST(TcpStream, EchoServerSendsBackWhatTheClientWrote) {
  Runtime rt({.workers = 2});
  TcpListener listener = bind_loopback();
  const SocketAddress addr = address_of(listener);
  auto server = rt.spawn(echo_server(std::move(listener), 1));
  EXPECT_EQ(rt.block_on(echo_once(addr, "hello, troupe")), "hello, troupe");
  server.wait();
}

Task<void> write_and_shut(std::shared_ptr<TcpStream> s, std::span<const std::byte> data) {
  (co_await s->write_all(data)).value();
  s->shutdown_write().value();
}

// Writes `size` bytes from one task while this one reads the echo back.
Task<bool> echo_client(SocketAddress server, std::uint64_t id, std::size_t size) {
  const Bytes data = pattern(id, size);
  auto s = std::make_shared<TcpStream>((co_await TcpStream::connect(server)).value());
  auto writer = troupe::spawn(write_and_shut(s, data));
  Bytes back = (co_await read_to_end(*s, 4096)).value();
  co_await writer;
  co_return back.size() == data.size() && fnv1a(back) == fnv1a(data);
}

Task<int> run_clients(SocketAddress server, int clients, std::size_t size) {
  std::vector<JoinHandle<bool>> handles;
  for (int i = 0; i < clients; ++i) {
    handles.push_back(troupe::spawn(echo_client(server, static_cast<std::uint64_t>(i), size)));
  }
  int ok = 0;
  for (auto& h : handles) ok += (co_await h) ? 1 : 0;
  co_return ok;
}

TEST(TcpStream, TwoHundredConcurrentClientsEachGetTheirOwn64KiBBackIntact) {
  constexpr int kClients = 200;
  Runtime rt({.workers = 2});
  TcpListener listener = bind_loopback();
  const SocketAddress addr = address_of(listener);
  auto server = rt.spawn(echo_server(std::move(listener), kClients));
  EXPECT_EQ(rt.block_on(run_clients(addr, kClients, 64 * 1024)), kClients);
  server.wait();
  EXPECT_EQ(rt.scheduler().reactor()->registrations(), 0u);
}

Task<std::error_code> connect_error(SocketAddress addr) {
  auto s = co_await TcpStream::connect(addr);
  co_return s.error();
}

TEST(TcpStream, ConnectToAPortNobodyListensOnFailsWithConnectionRefused) {
  Runtime rt({.workers = 2});
  SocketAddress addr;
  {
    TcpListener probe = bind_loopback();  // a free port, then nobody on it
    addr = address_of(probe);
  }
  EXPECT_EQ(rt.block_on(connect_error(addr)), std::errc::connection_refused);
}

// Accepts one connection and hands its stream to the test.
Task<TcpStream> accept_one(TcpListener& listener) {
  co_return std::move((co_await listener.accept()).value().stream);
}

// A connected pair on loopback: {client, server side}.
std::pair<TcpStream, TcpStream> connected_pair(Runtime& rt) {
  TcpListener listener = bind_loopback();
  auto server = rt.spawn(accept_one(listener));
  struct Connect {
    static Task<TcpStream> run(SocketAddress a) {
      co_return (co_await TcpStream::connect(a)).value();
    }
  };
  TcpStream client = rt.block_on(Connect::run(address_of(listener)));
  return {std::move(client), server.wait()};
}

Task<IoResult<std::size_t>> read_some(TcpStream& s, std::size_t n) {
  Bytes buf(n);
  co_return co_await s.read(buf);
}

TEST(TcpStream, ReadReturnsZeroBytesWhenThePeerClosesCleanly) {
  Runtime rt({.workers = 2});
  auto [client, server] = connected_pair(rt);
  { TcpStream closing = std::move(server); }
  IoResult<std::size_t> n = rt.block_on(read_some(client, 64));
  ASSERT_TRUE(n.has_value()) << n.error().message();
  EXPECT_EQ(*n, 0u);
}

TEST(TcpStream, ReadSeesDataWrittenBeforeThePeerShutDownItsWritingSide) {
  Runtime rt({.workers = 2});
  auto [client, server] = connected_pair(rt);
  struct Send {
    static Task<void> run(TcpStream& s) {
      (co_await s.write_all(bytes_of("last words"))).value();
      s.shutdown_write().value();
    }
  };
  rt.block_on(Send::run(server));
  IoResult<Bytes> all = rt.block_on(read_to_end(client));
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(string_of(*all), "last words");
}

TEST(TcpStream, ReadFailsWithConnectionResetWhenThePeerAborts) {
  Runtime rt({.workers = 2});
  auto [client, server] = connected_pair(rt);
  server.set_linger(std::chrono::seconds(0)).value();
  { TcpStream aborting = std::move(server); }  // linger 0: close sends RST
  IoResult<std::size_t> n = rt.block_on(read_some(client, 64));
  EXPECT_EQ(n.error(), std::errc::connection_reset);
}

std::atomic<int> sigpipes{0};
extern "C" void count_sigpipe(int) { sigpipes.fetch_add(1); }

// Writes until the kernel reports the dead peer (the first write after the
// peer closed still succeeds: its RST comes back only in answer to it).
Task<std::error_code> write_until_error(TcpStream& s) {
  const Bytes chunk = pattern(7, 1024);
  for (int i = 0; i < 100000; ++i) {
    IoResult<std::size_t> n = co_await s.write(chunk);
    if (!n) co_return n.error();
  }
  co_return std::error_code();
}

TEST(TcpStream, WritingToAClosedPeerFailsWithBrokenPipeOrResetAndRaisesNoSigpipe) {
  struct sigaction counting {};
  counting.sa_handler = count_sigpipe;
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGPIPE, &counting, &previous), 0);
  sigpipes.store(0);
  {
    Runtime rt({.workers = 2});
    auto [client, server] = connected_pair(rt);
    { TcpStream closing = std::move(server); }
    // Wait for the FIN, so the peer is known to be closed before writing.
    ASSERT_EQ(rt.block_on(read_some(client, 16)).value(), 0u);
    const std::error_code ec = rt.block_on(write_until_error(client));
    EXPECT_TRUE(ec == std::errc::broken_pipe || ec == std::errc::connection_reset) << ec.message();
  }
  ::sigaction(SIGPIPE, &previous, nullptr);
  EXPECT_EQ(sigpipes.load(), 0);
}

void shrink_buffers(TcpStream& s, int bytes) {
  ASSERT_EQ(::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes), 0);
  ASSERT_EQ(::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes), 0);
}

Task<void> write_all_signalling(TcpStream& s, const Bytes& data, Gate& blocked) {
  auto write = s.write_all(data);
  (co_await SignalWhenPending(write, blocked)).value();
  s.shutdown_write().value();
}

// Starts reading only once the writer is blocked, then reads in small chunks.
Task<IoResult<Bytes>> read_after(Gate& blocked, TcpStream& s) {
  co_await blocked;
  co_return co_await read_to_end(s, 1000);
}

TEST(TcpStream, WriteAllOf8MiBWaitsForASlowReaderAndDeliversEverything) {
  Runtime rt({.workers = 2});
  auto [client, server] = connected_pair(rt);
  shrink_buffers(client, 64 * 1024);
  shrink_buffers(server, 64 * 1024);
  const Bytes data = pattern(42, 8 * 1024 * 1024);
  Gate writer_blocked;
  auto writer = rt.spawn(write_all_signalling(client, data, writer_blocked));
  IoResult<Bytes> got = rt.block_on(read_after(writer_blocked, server));
  writer.wait();
  EXPECT_TRUE(writer_blocked.is_set());
  ASSERT_TRUE(got.has_value()) << got.error().message();
  EXPECT_EQ(got->size(), data.size());
  EXPECT_EQ(fnv1a(*got), fnv1a(data));
}

// Both directions at once, each from its own task: every writer fills the
// socket buffers, so this only finishes if reads and writes of one stream
// really proceed concurrently.
Task<std::uint64_t> duplex_side(std::shared_ptr<TcpStream> s, std::uint64_t seed) {
  const Bytes out = pattern(seed, 4 * 1024 * 1024);
  auto writer = troupe::spawn(write_and_shut(s, out));
  Bytes in = (co_await read_to_end(*s)).value();
  co_await writer;
  co_return fnv1a(in);
}

TEST(TcpStream, OneTaskReadsWhileAnotherWritesTheSameStream) {
  Runtime rt({.workers = 2});
  auto [client, server] = connected_pair(rt);
  auto c = std::make_shared<TcpStream>(std::move(client));
  auto s = std::make_shared<TcpStream>(std::move(server));
  auto client_side = rt.spawn(duplex_side(c, 1));
  const std::uint64_t server_got = rt.block_on(duplex_side(s, 2));
  const std::uint64_t client_got = client_side.wait();
  EXPECT_EQ(server_got, fnv1a(pattern(1, 4 * 1024 * 1024)));
  EXPECT_EQ(client_got, fnv1a(pattern(2, 4 * 1024 * 1024)));
}

Task<IoResult<std::size_t>> read_signalling(TcpStream& s, Gate& pending, LifeCounter& life) {
  Tracked in_frame(life);
  Bytes buf(64);
  auto read = s.read(buf);
  co_return co_await SignalWhenPending(read, pending);
}

TEST(TcpStream, CancellingABlockedReadLeavesTheStreamUsable) {
  Runtime rt({.workers = 2});
  auto [client, server] = connected_pair(rt);
  LifeCounter life;
  Gate pending;
  auto reader = rt.spawn(read_signalling(client, pending, life));
  rt.block_on(wait_for(pending));
  reader.cancel();
  EXPECT_THROW((void)reader.wait(), TaskCancelled);
  EXPECT_EQ(life.live(), 0);

  // The stream still works, for a new reader, and nothing was consumed.
  struct Send {
    static Task<void> run(TcpStream& s) { (co_await s.write_all(bytes_of("after"))).value(); }
  };
  rt.block_on(Send::run(server));
  IoResult<std::size_t> n = rt.block_on(read_some(client, 64));
  EXPECT_EQ(n.value(), 5u);
  // And it can be destroyed: the reactor forgets it.
  const auto before = rt.scheduler().reactor()->registrations();
  { TcpStream gone = std::move(client); }
  EXPECT_EQ(rt.scheduler().reactor()->registrations(), before - 1);
}

Task<void> block_in_read(TcpStream s, Gate& pending, LifeCounter& life) {
  Tracked in_frame(life);
  Bytes buf(64);
  auto read = s.read(buf);
  (void)co_await SignalWhenPending(read, pending);
  ADD_FAILURE() << "nobody writes: the read cannot complete";
}

Task<void> pairs_blocked_in_read(SocketAddress addr, TcpListener& listener,
                                 std::vector<Gate>& gates, LifeCounter& life) {
  for (std::size_t i = 0; i < gates.size(); i += 2) {
    TcpStream client = (co_await TcpStream::connect(addr)).value();
    TcpStream server = std::move((co_await listener.accept()).value().stream);
    troupe::spawn(block_in_read(std::move(client), gates[i], life)).detach();
    troupe::spawn(block_in_read(std::move(server), gates[i + 1], life)).detach();
  }
}

TEST(TcpStream, RuntimeShutdownWithTasksBlockedInReadFreesEveryFrameAndRegistration) {
  LifeCounter life;
  std::shared_ptr<troupe::detail::ReactorCore> core;
  {
    Runtime rt({.workers = 2});
    core = rt.scheduler().reactor()->core();
    std::vector<Gate> gates(20);
    {
      TcpListener listener = bind_loopback();
      rt.block_on(pairs_blocked_in_read(address_of(listener), listener, gates, life));
    }
    rt.block_on(wait_for_all(gates));
    EXPECT_EQ(life.live(), 20);
    EXPECT_EQ(core->registrations(), 20u);
  }
  EXPECT_EQ(life.live(), 0);
  EXPECT_TRUE(core->closed());
  EXPECT_EQ(core->registrations(), 0u);
  // Every registration has been freed: none holds the core any more.
  EXPECT_EQ(core.use_count(), 1);
}

TEST(TcpStream, AStreamThatOutlivesItsRuntimeFailsToWaitWithOperationCanceledAndCanBeDestroyed) {
  std::optional<TcpStream> survivor;
  std::optional<TcpStream> other;
  {
    Runtime rt({.workers = 2});
    auto [client, server] = connected_pair(rt);
    // Make the client wait once, so that it is registered with this reactor.
    struct Send {
      static Task<void> run(TcpStream& s) { (co_await s.write_all(bytes_of("x"))).value(); }
    };
    auto n = rt.spawn(read_some(client, 1));
    rt.block_on(Send::run(server));
    EXPECT_EQ(n.wait().value(), 1u);
    survivor.emplace(std::move(client));
    other.emplace(std::move(server));
  }
  EXPECT_TRUE(survivor->local_address().has_value());
  {
    Runtime other_rt({.workers = 2});
    EXPECT_EQ(other_rt.block_on(read_some(*survivor, 1)).error(), std::errc::operation_canceled);
  }
  survivor.reset();
  other.reset();
}

TEST(TcpStream, OperationsOnASchedulerWithoutReactorFailWithOperationNotSupported) {
  Runtime rt({.workers = 2});
  TcpListener listener = bind_loopback();
  troupe::TestExecutor ex;
  EXPECT_EQ(ex.block_on(connect_error(address_of(listener))), std::errc::operation_not_supported);

  auto [client, server] = connected_pair(rt);
  // The accepted side has never waited, so it belongs to no reactor yet.
  EXPECT_EQ(ex.block_on(read_some(server, 8)).error(), std::errc::operation_not_supported);
}

TEST(TcpStream, AddressesAndOptionsDescribeTheConnection) {
  Runtime rt({.workers = 2});
  auto [client, server] = connected_pair(rt);
  EXPECT_EQ(client.peer_address().value(), server.local_address().value());
  EXPECT_EQ(server.peer_address().value(), client.local_address().value());
  EXPECT_EQ(client.peer_address()->to_string().rfind("127.0.0.1:", 0), 0u);

  EXPECT_TRUE(client.set_nodelay(true).has_value());
  EXPECT_TRUE(client.nodelay().value());
  EXPECT_TRUE(client.set_nodelay(false).has_value());
  EXPECT_FALSE(client.nodelay().value());
}

TEST(TcpStream, AMovedFromStreamReportsBadFileDescriptor) {
  Runtime rt({.workers = 2});
  auto [client, server] = connected_pair(rt);
  TcpStream moved = std::move(client);
  EXPECT_EQ(client.native_handle(), -1);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(client.local_address().error(), std::errc::bad_file_descriptor);
  EXPECT_EQ(rt.block_on(read_some(client, 8)).error(), std::errc::bad_file_descriptor);
}

TEST(TcpStream, EchoRoundTripWorksOverIpv6Loopback) {
  auto bound = TcpListener::bind(SocketAddress::ipv6_loopback(0));
  if (!bound) GTEST_SKIP() << "[::1] is not bindable here: " << bound.error().message();
  Runtime rt({.workers = 2});
  const SocketAddress addr = bound->local_address().value();
  EXPECT_TRUE(addr.is_ipv6());
  auto server = rt.spawn(echo_server(std::move(*bound), 1));
  EXPECT_EQ(rt.block_on(echo_once(addr, "over IPv6")), "over IPv6");
  server.wait();
}

}  // namespace
