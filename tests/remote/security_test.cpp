// A stranger on the network gets nothing: each test plays one attack on a
// node, as a bare gRPC client (RawPeer) or a relay between two nodes
// would, and shows that it fails: weak secrets, relayed proofs, injected
// or replayed frames, unproven hellos that would leave state behind or
// disturb a real peer, floods of streams, asks and monitors, and a
// certificate for another node's name.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/remote/detail/handshake.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/v1/cluster.grpc.pb.h>

#include "nodes.hpp"
#include "raw_peer.hpp"
#include "test_actors.hpp"

namespace {

using namespace std::chrono_literals;
using remote_test::ChildNode;
using remote_test::Echo;
using remote_test::envelope_to;
using remote_test::Local;
using remote_test::RawPeer;
using troupe::remote::Node;
using troupe::remote::NodeOptions;
namespace v1 = troupe::v1;

/// Lines a node logs, kept for the test to read (thread-safe).
class Log {
 public:
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    };
  }
  std::size_t count(const std::string& part) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& l : lines_) n += l.find(part) != std::string::npos;
    return n;
  }
  std::size_t bytes() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& l : lines_) n += l.size();
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

/// Waits (polling) until `done` holds; false if it does not within `limit`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST(RemoteSecurity, AWeakSecretIsRefusedAtStartUnlessInsecureIsChosen) {
  troupe::ActorSystem system(troupe::ActorSystemOptions{.workers = 1});
  EXPECT_THROW(Node(system, NodeOptions{}), std::invalid_argument) << "no secret";
  EXPECT_THROW(Node(system, NodeOptions{.cluster_secret = std::string(31, 's')}),
               std::invalid_argument)
      << "31 bytes";
  try {
    Node node(system, NodeOptions{.cluster_secret = "short"});
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("openssl rand -hex 32"), std::string::npos)
        << "the error says how to make one: " << e.what();
  }
  { Node ok(system, NodeOptions{.cluster_secret = std::string(32, 's')}); }
  { Node weak(system, NodeOptions{.insecure = true}); }
  system.shutdown();
}

// The attack that worked on protocol 1: a relay node M, dialed by A, dials
// C claiming to be A and passes proofs between them.
class Relay final : public v1::Cluster::Service {
 public:
  struct Outcome {
    bool welcomed = false;       // C took the relay in as A
    grpc::Status status_from_c;  // how C ended the relay's stream
  };
  Relay(std::string c, bool verbatim, std::uint64_t echo)
      : c_(std::move(c)), verbatim_(verbatim), echo_(echo) {}
  std::future<Outcome> outcome() { return done_.get_future(); }

  grpc::Status Connect(grpc::ServerContext*,
                       grpc::ServerReaderWriter<v1::Frame, v1::Frame>* a) override {
    if (played_.exchange(true)) return {grpc::StatusCode::UNAVAILABLE, "once"};  // A redials
    Outcome out;
    v1::Frame f;
    RawPeer c(c_);
    if (a->Read(&f) && f.has_hello()) {
      v1::Hello claim = f.hello();  // A's name and incarnation
      // A relay that cannot make C's transcript match A's uses its own
      // nonce; one that can passes everything as it is.
      if (!verbatim_) claim.set_nonce(troupe::remote::detail::make_nonce());
      std::optional<v1::Frame> from_c;
      if (c.write_hello(claim) && (from_c = c.read()) && a->Write(*from_c) && a->Read(&f) &&
          c.write(f) && (from_c = c.read())) {
        out.welcomed = from_c->welcome();
        if (out.welcomed) {
          (void)a->Write(*from_c);
          // Through a path it relays, the relay tells C's echo to stop, in
          // a frame it cannot seal.
          v1::Batch b;
          *b.add_envelopes() = envelope_to(echo_, remote_test::Quit{});
          v1::Frame forged;
          forged.set_batch(b.SerializeAsString());
          forged.set_mac(std::string(32, '\x5a'));
          (void)c.write(forged);
        }
      }
    }
    out.status_from_c = c.finish();
    done_.set_value(out);
    return {grpc::StatusCode::UNAVAILABLE, "relay done"};
  }

 private:
  std::string c_;
  bool verbatim_;
  std::uint64_t echo_;
  std::atomic<bool> played_{false};
  std::promise<Outcome> done_;
};

TEST(RemoteSecurity, ARelayedProofGetsTheRelayNothing) {
  if (remote_test::test_transport() != NodeOptions::Transport::kGrpc) {
    GTEST_SKIP() << "the relay is a gRPC server; the handshake it attacks is the same on TCP";
  }
  for (const bool verbatim : {false, true}) {
    SCOPED_TRACE(verbatim ? "a relay passing everything as it is" : "a relay with its own nonce");
    ChildNode c({});
    Local observer;
    auto echo = observer.lookup<Echo>(c.address(), "echo");
    Relay relay(c.address(), verbatim, echo.id());
    auto outcome = relay.outcome();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&relay);
    auto server = builder.BuildAndStart();
    ASSERT_TRUE(server);
    NodeOptions a_options;
    a_options.seeds = {"127.0.0.1:" + std::to_string(port)};
    a_options.log = [](const std::string&) {};
    Local a(a_options);
    ASSERT_EQ(outcome.wait_for(20s), std::future_status::ready);
    const Relay::Outcome out = outcome.get();
    if (verbatim) {
      // Passing every byte as it is, the relay is only a path: the
      // handshake succeeds, but the relay's own frame is refused.
      EXPECT_TRUE(out.welcomed);
      EXPECT_FALSE(out.status_from_c.ok());
    } else {
      EXPECT_FALSE(out.welcomed);
      EXPECT_EQ(out.status_from_c.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << out.status_from_c.error_message();
    }
    EXPECT_EQ(observer.run(remote_test::ping(echo, 7)), 8) << "the echo never got the Quit";
    server->Shutdown(std::chrono::system_clock::now());
    a.node->shutdown();
    observer.node->shutdown();
    c.stop();
    const std::string log = c.stderr_text();
    EXPECT_NE(log.find(verbatim ? "failed its integrity check" : "wrong cluster secret"),
              std::string::npos)
        << log;
  }
}

// A peer that knows the secret but whose frames do not follow the
// sequence: a replayed frame, an altered one, one with no MAC.
TEST(RemoteSecurity, AFrameThatFailsItsSealEndsTheConnectionUnread) {
  Log log;
  NodeOptions options;
  options.log = log.sink();
  Local node(options);
  auto echo = node.system.spawn<Echo>();
  ASSERT_TRUE(node.node->publish("echo", echo));
  remote_test::Ping ping;
  ping.set_n(1);
  const auto ask = envelope_to(echo.id(), ping, v1::Envelope::ASK, 1);
  enum class Tamper { kReplay, kAlter, kUnsealed };
  int n = 0;
  for (const auto tamper : {Tamper::kReplay, Tamper::kAlter, Tamper::kUnsealed}) {
    SCOPED_TRACE(static_cast<int>(tamper));
    RawPeer peer(node.node->address());
    ASSERT_TRUE(
        peer.handshake(remote_test::kSecret, RawPeer::hello("peer-" + std::to_string(n++))));
    const v1::Frame first = peer.sealed({ask});
    ASSERT_TRUE(peer.write(first));
    auto reply = peer.receive();
    ASSERT_TRUE(reply) << "a sealed frame is served";
    ASSERT_EQ(reply->envelopes_size(), 1);
    EXPECT_EQ(reply->envelopes(0).kind(), v1::Envelope::REPLY);
    v1::Frame bad = tamper == Tamper::kReplay ? first : peer.sealed({ask});
    if (tamper == Tamper::kAlter) bad.mutable_batch()->back() ^= 1;
    if (tamper == Tamper::kUnsealed) bad.clear_mac();
    (void)peer.write(bad);
    EXPECT_FALSE(peer.receive()) << "no reply: the connection is dropped";
    EXPECT_FALSE(peer.finish().ok());
  }
  EXPECT_EQ(log.count("dropped the connection to peer-"), 3u);
}

// Garbage at each layer of the wire, from a peer that knows the secret:
// envelopes with bytes that decode to nothing, of unknown kinds and types,
// and a sealed frame whose batch is not one. Each envelope is refused on
// its own (a dead letter; an ask answered UNDECODABLE), a frame that is
// not a batch ends the connection, and the node serves the next peer.
TEST(RemoteSecurity, GarbageOverTheWireIsRefusedAndTheNodeGoesOn) {
  Log log;
  NodeOptions options;
  options.log = log.sink();
  Local node(options);
  auto echo = node.system.spawn<Echo>();
  ASSERT_TRUE(node.node->publish("echo", echo));
  const auto dead_before = node.system.dead_letters();
  {
    RawPeer peer(node.node->address());
    ASSERT_TRUE(peer.handshake(remote_test::kSecret, RawPeer::hello("garbler")));
    remote_test::Ping ping;
    v1::Envelope bad_payload = envelope_to(echo.id(), ping, v1::Envelope::ASK, 1);
    bad_payload.set_payload("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
    v1::Envelope unknown_type = envelope_to(echo.id(), ping, v1::Envelope::ASK, 2);
    unknown_type.set_type_name("no.Such");
    v1::Envelope unknown_kind = envelope_to(echo.id(), ping);
    unknown_kind.set_kind(static_cast<v1::Envelope::Kind>(9));
    v1::Envelope bad_tell = envelope_to(echo.id(), ping);
    bad_tell.set_payload("\xff");
    ASSERT_TRUE(peer.send({bad_payload, unknown_type, unknown_kind, bad_tell}));
    std::vector<v1::Envelope> replies;
    while (replies.size() < 2) {
      auto batch = peer.receive();
      ASSERT_TRUE(batch) << "the connection stays up for bad envelopes";
      for (const auto& e : batch->envelopes()) replies.push_back(e);
    }
    for (const auto& r : replies) {
      EXPECT_EQ(r.kind(), v1::Envelope::FAILURE);
      v1::AskFailure f;
      ASSERT_TRUE(f.ParseFromString(r.payload()));
      EXPECT_EQ(f.code(), v1::AskFailure::UNDECODABLE) << f.detail();
    }
    EXPECT_EQ(node.system.dead_letters(), dead_before + 4);
    // A frame that is sealed but holds no batch.
    (void)peer.write(peer.sealed_bytes("\x0a\x80\x80\x80\x80\x80"));
    EXPECT_FALSE(peer.receive());
    EXPECT_FALSE(peer.finish().ok());
  }
  EXPECT_EQ(log.count("dropped the connection to garbler: an undecodable frame"), 1u);
  RawPeer next(node.node->address());
  ASSERT_TRUE(next.handshake(remote_test::kSecret, RawPeer::hello("next")));
  remote_test::Ping ping;
  ping.set_n(5);
  ASSERT_TRUE(next.send({envelope_to(echo.id(), ping, v1::Envelope::ASK, 1)}));
  auto reply = next.receive();
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->envelopes_size(), 1);
  remote_test::Pong pong;
  ASSERT_TRUE(pong.ParseFromString(reply->envelopes(0).payload()));
  EXPECT_EQ(pong.n(), 6);
}

TEST(RemoteSecurity, UnprovenHellosWithHugeNamesLeaveNoStateAndShortLogLines) {
  // Fewer under a sanitizer, where memory is not measured and each hello
  // costs ten times as much.
  constexpr int kHellos = remote_test::kMemoryMeasurable ? 2000 : 200;
  constexpr int kThreads = 4;
  Log log;
  NodeOptions options;
  options.log = log.sink();
  Local node(options);
  const std::size_t peers_before = node.node->known_peers();
  const auto memory_before = remote_test::memory_of();
  v1::Hello huge = RawPeer::hello(std::string(1 << 20, 'N'));
  huge.mutable_node()->at(5) = '\n';  // control characters too
  auto channel = RawPeer::channel_to(node.node->address());
  // On gRPC the node reads the hello and refuses its name; on TCP it reads
  // no frame that long before a handshake (TcpFrameStream's limit) and
  // closes the connection at its length.
  const bool tcp = remote_test::test_transport() == NodeOptions::Transport::kTcp;
  const auto refusal = tcp ? grpc::StatusCode::UNAVAILABLE : grpc::StatusCode::FAILED_PRECONDITION;
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kHellos / kThreads; ++i) {
        RawPeer peer(channel);
        (void)peer.write_hello(huge);
        const grpc::Status s = peer.finish();
        refused += s.error_code() == refusal;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), kHellos) << "each refused at its hello";
  EXPECT_EQ(node.node->known_peers(), peers_before);
  const auto memory_after = remote_test::memory_of();
  if (remote_test::kMemoryMeasurable) {
    EXPECT_LT(memory_after.peak - memory_before.peak, std::size_t{64} << 20)
        << "peak growth, client and node together";
  }
  EXPECT_EQ(log.count("a node name of 1048576 bytes"), tcp ? 0 : static_cast<std::size_t>(kHellos));
  EXPECT_LT(log.bytes(), static_cast<std::size_t>(kHellos) * 200) << "no name in full";
}

// A port nobody listens on (yet).
std::string free_address() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    throw std::runtime_error("no free port");
  ::close(fd);
  return "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
}

// Hellos that name a real peer, with its incarnation or another, and a
// proof that does not hold: refused, and the real peer never notices.
void pretend_to_be(const std::string& node_address, const std::string& name,
                   std::uint64_t incarnation) {
  for (int i = 0; i < 25; ++i) {
    for (const std::uint64_t inc : {incarnation, incarnation + 1}) {
      RawPeer peer(node_address);
      ASSERT_TRUE(peer.write_hello(RawPeer::hello(name, inc)));
      ASSERT_TRUE(peer.read()) << "the node answers a well-formed hello with its own";
      v1::Frame proof;
      proof.set_proof(std::string(32, 'p'));
      (void)peer.write(proof);
      EXPECT_EQ(peer.finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
    }
  }
}

TEST(RemoteSecurity, AHelloNamingAConnectedOrReconnectingPeerDoesNotDisturbIt) {
  ChildNode peer({});
  Log log;
  NodeOptions options;
  options.log = log.sink();
  const std::string later = free_address();
  options.seeds = {later};  // nobody there yet: the node keeps redialing it
  Local node(options);
  auto echo = node.lookup<Echo>(peer.address(), "echo");
  pretend_to_be(node.node->address(), peer.address(), peer.incarnation());
  pretend_to_be(node.node->address(), later, 1);
  EXPECT_EQ(node.run(remote_test::ping(echo, 1)), 2);
  EXPECT_EQ(log.count("disconnected from"), 0u) << "the connected peer was not disturbed";
  EXPECT_EQ(log.count("connected to " + peer.address()), 1u);
  ChildNode arriving({"--listen", later});
  EXPECT_TRUE(node.run(node.node->wait_for(later, 10s))) << "the peer being redialed gets in";
}

TEST(RemoteSecurity, StreamsOverTheHandshakeCapsAreRefusedAtOnce) {
  for (const bool per_address : {true, false}) {
    SCOPED_TRACE(per_address ? "per address" : "overall");
    NodeOptions options;
    options.log = [](const std::string&) {};
    options.max_handshakes = per_address ? 64 : 3;
    options.max_handshakes_per_address = per_address ? 4 : 64;
    const std::size_t cap = per_address ? 4 : 3;
    Local node(options);
    auto channel = RawPeer::channel_to(node.node->address());
    // Many streams at once, each of which says hello and then stalls.
    std::vector<std::unique_ptr<RawPeer>> open;
    for (int i = 0; i < 300; ++i) {
      open.push_back(std::make_unique<RawPeer>(channel));
      // Fails if the node refused the stream already.
      (void)open.back()->write_hello(RawPeer::hello("staller"));
    }
    std::size_t answered = 0;
    std::size_t refused = 0;
    for (auto& p : open) {
      if (p->read()) {
        ++answered;
      } else {
        refused += p->finish().error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
      }
    }
    EXPECT_EQ(answered, cap);
    EXPECT_EQ(refused, 300 - cap);
    // A stalled one that goes makes room for the next.
    open.clear();
    EXPECT_TRUE(eventually([&] {
      RawPeer p(channel);
      return p.write_hello(RawPeer::hello("next")) && p.read().has_value();
    }));
  }
}

// A peer that knows the secret sends a million asks and a million monitors
// and never reads a reply: the node serves a bounded number at a time,
// stops reading, and lets go of all of it when the peer goes.
TEST(RemoteSecurity, UnreadAsksAndMonitorsFromOnePeerStayBoundedAndGoWithIt) {
  constexpr std::size_t kCap = 256;
  constexpr int kEach = 1'000'000;
  constexpr int kPerFrame = 512;
  NodeOptions options;
  options.log = [](const std::string&) {};
  options.max_served_per_peer = kCap;
  Local node(options);
  auto echo = node.system.spawn<Echo>();
  ASSERT_TRUE(node.node->publish("echo", echo));
  const std::size_t peers_before = node.node->known_peers();
  const std::size_t tasks_before = node.system.runtime().live_tasks();
  const auto memory_before = remote_test::memory_of();

  std::optional<RawPeer> flooder(std::in_place, node.node->address());
  ASSERT_TRUE(flooder->handshake(remote_test::kSecret, RawPeer::hello("flooder")));
  std::atomic<int> frames_sent{0};
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    remote_test::Ping ping;
    std::uint64_t correlation = 0;
    for (int sent = 0; sent < 2 * kEach; sent += kPerFrame) {
      std::vector<v1::Envelope> batch;
      for (int i = 0; i < kPerFrame; i += 2) {
        batch.push_back(envelope_to(echo.id(), ping, v1::Envelope::ASK, ++correlation));
        v1::Monitor m;  // half of them of the echo, half of actors that do not exist
        m.set_actor(i % 4 == 0 ? echo.id() : 1'000'000 + correlation);
        batch.push_back(envelope_to(0, m));
      }
      if (!flooder->send(batch)) break;
      ++frames_sent;
    }
    writer_done = true;
  });
  // Until the writer is held back: its count stops moving for a while.
  std::size_t most_tasks = 0;
  int last = -1;
  int still = 0;
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (!writer_done && still < 200 && std::chrono::steady_clock::now() < until) {
    most_tasks = std::max(most_tasks, node.system.runtime().live_tasks());
    const int now = frames_sent.load();
    still = now == last ? still + 1 : 0;
    last = now;
    std::this_thread::sleep_for(5ms);
  }
  const auto memory_flooded = remote_test::memory_of();
  EXPECT_FALSE(writer_done) << "the node stopped reading: the peer is pushed back";
  EXPECT_LT(frames_sent.load() * kPerFrame, kEach);
  EXPECT_LE(most_tasks, tasks_before + kCap + kPerFrame + 64)
      << "requests in service stay near the cap";
  if (remote_test::kMemoryMeasurable) {
    EXPECT_LT(memory_flooded.now - memory_before.now, std::size_t{64} << 20);
  }

  // The flooder goes: its stream is cancelled, and its connection closed
  // (on TCP the stream is the connection, and its end is what tells).
  flooder->cancel();
  writer.join();
  flooder.reset();
  EXPECT_TRUE(eventually([&] { return node.system.runtime().live_tasks() <= tasks_before; }))
      << node.system.runtime().live_tasks() << " tasks left, " << tasks_before << " before";
  EXPECT_TRUE(eventually([&] { return node.node->known_peers() == peers_before; }));
  // The echo, stopped now, has no monitor of the gone peer left to notify.
  ASSERT_EQ(echo.tell(remote_test::Quit{}), troupe::TellStatus::kQueued);
  EXPECT_TRUE(eventually([&] { return node.system.runtime().live_tasks() <= tasks_before; }));
}

TEST(RemoteSecurity, ACertificateForAnotherNameIsRefusedBothWays) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "openssl is not installed";
  remote_test::Certificates certs(
      std::vector<std::pair<std::string, std::string>>{{"node-b", "DNS:node-b,IP:127.0.0.1"}});
  ASSERT_TRUE(certs.ok());
  Log log;
  NodeOptions options;
  options.tls = certs.options();
  options.log = log.sink();
  Local node(options);
  {
    // It dials us, claiming a name its certificate does not carry.
    ChildNode impostor({"--tls", certs.dir(), "--tls-cert", "node-b", "--name", "node-a", "--seed",
                        node.node->address()});
    // And we dial it.
    auto r = node.run(node.node->lookup<Echo>(impostor.address(), "echo", 2s));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), troupe::remote::LookupError::kUnreachable);
    EXPECT_TRUE(eventually([&] { return log.count("its certificate names") >= 2; }));
    impostor.stop();
    EXPECT_NE(impostor.stderr_text().find("the certificate does not name node-a"),
              std::string::npos)
        << impostor.stderr_text();
  }
  EXPECT_GE(log.count("node-b, 127.0.0.1, not node-a"), 1u);
  // Named as its certificate says, the same node gets in.
  ChildNode honest({"--tls", certs.dir(), "--tls-cert", "node-b", "--name", "node-b"});
  node.node->connect(honest.address());
  ASSERT_TRUE(node.run(node.node->wait_for("node-b", 10s)));
  auto echo = node.lookup<Echo>("node-b", "echo");
  EXPECT_EQ(node.run(remote_test::ping(echo, 3)), 4);
}

}  // namespace
