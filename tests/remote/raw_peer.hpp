// A peer played by the test itself over a bare stream (a gRPC call, or a
// TCP connection on the node's own transport, as the suite's run says: see
// test_transport()): it says what the test tells it to, including what no
// Troupe node would (someone else's name, a forged MAC, a replayed frame),
// and knows the secret only when the test gives it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <troupe/proto/codec.hpp>
#include <troupe/remote/detail/frame_seal.hpp>
#include <troupe/remote/detail/handshake.hpp>
#include <troupe/v1/cluster.grpc.pb.h>

#include "transport.hpp"

namespace remote_test {

namespace v1 = troupe::v1;

/// One stream to a node, as the dialing side. Blocking calls; one thread
/// at a time.
class RawPeer {
 public:
  /// Where streams go: on gRPC, a channel (streams of one channel share
  /// its connection); on TCP, each stream is a connection of its own.
  struct Channel {
    std::string address;
    std::shared_ptr<grpc::Channel> grpc;  // null on TCP
  };

  /// On a connection of its own.
  explicit RawPeer(const std::string& address) : RawPeer(channel_to(address)) {}
  /// A stream on `channel`. Every stream ends within 30 s: a test waiting
  /// for something the node never does fails then, instead of hanging.
  explicit RawPeer(const Channel& channel) {
    if (channel.grpc) {
      stub_ = v1::Cluster::NewStub(channel.grpc);
      stream_ = open(*stub_, context_);
    } else {
      fd_ = connect_tcp(channel.address);
    }
  }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;
  ~RawPeer() {
    if (fd_ >= 0) ::close(fd_);
    if (finished_ || !stream_) return;
    context_.TryCancel();
    (void)stream_->Finish();
  }

  /// A channel with a connection of its own (not shared with other
  /// channels to the same address), for frames up to 16 MiB.
  static Channel channel_to(const std::string& address) {
    if (test_transport() == troupe::remote::NodeOptions::Transport::kTcp) return {address, nullptr};
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxSendMessageSize(16 << 20);
    args.SetMaxReceiveMessageSize(16 << 20);
    return {address, grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)};
  }

  /// A Hello of the current protocol.
  static v1::Hello hello(std::string name, std::uint64_t incarnation = 42) {
    v1::Hello h;
    h.set_protocol(troupe::remote::detail::kProtocolVersion);
    h.set_node(std::move(name));
    h.set_incarnation(incarnation);
    h.set_nonce(troupe::remote::detail::make_nonce());
    return h;
  }

  bool write(const v1::Frame& f) {
    if (stream_) return stream_->Write(f);
    std::string bytes(4, '\0');
    const auto n = static_cast<std::uint32_t>(f.ByteSizeLong());
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    bytes += f.SerializeAsString();
    return write_bytes(bytes);
  }
  /// Bytes as they are, on TCP (a length prefix, garbage, ...).
  bool write_bytes(const std::string& bytes) {
    for (std::size_t sent = 0; sent < bytes.size();) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool write_hello(const v1::Hello& h) {
    v1::Frame f;
    *f.mutable_hello() = h;
    return write(f);
  }
  std::optional<v1::Frame> read() {
    v1::Frame f;
    if (stream_) {
      if (!stream_->Read(&f)) return std::nullopt;
      return f;
    }
    for (;;) {  // pings (empty frames) skipped
      std::string length(4, '\0');
      if (!read_exactly(length)) return std::nullopt;
      std::uint32_t n = 0;
      for (int i = 0; i < 4; ++i)
        n |= static_cast<std::uint32_t>(static_cast<unsigned char>(length[i])) << (8 * i);
      if (n == 0) continue;
      std::string bytes(n, '\0');
      if (!read_exactly(bytes) || !f.ParseFromString(bytes)) return std::nullopt;
      if (f.has_refusal()) {
        tcp_status_ =
            grpc::Status(static_cast<grpc::StatusCode>(f.refusal().code()), f.refusal().message());
        return std::nullopt;
      }
      return f;
    }
  }

  /// The whole handshake as a dialer called `mine` that knows `secret`:
  /// true once welcomed with a valid proof; then send and receive seal
  /// and open frames as a node does.
  bool handshake(std::string_view secret, const v1::Hello& mine) {
    if (!write_hello(mine)) return false;
    auto theirs = read();
    if (!theirs || !theirs->has_hello()) return false;
    their_hello_ = theirs->hello();
    keys_ = troupe::remote::detail::derive_keys(
        secret, troupe::remote::detail::Transcript{.dialer = mine, .acceptor = their_hello_});
    v1::Frame proof;
    proof.set_proof(keys_.dialer_proof);
    if (!write(proof)) return false;
    auto welcome = read();
    if (!welcome || !welcome->welcome() ||
        !troupe::remote::detail::proofs_match(keys_.acceptor_proof, welcome->proof()))
      return false;
    seal_.emplace(keys_.dialer_to_acceptor);
    open_.emplace(keys_.acceptor_to_dialer);
    return true;
  }
  const v1::Hello& their_hello() const { return their_hello_; }

  /// `envelopes` as one sealed frame (what a node would send).
  v1::Frame sealed(const std::vector<v1::Envelope>& envelopes) {
    v1::Batch b;
    for (const auto& e : envelopes) *b.add_envelopes() = e;
    return sealed_bytes(b.SerializeAsString());
  }
  /// Any bytes as the batch of a frame, sealed.
  v1::Frame sealed_bytes(std::string bytes) {
    v1::Frame f;
    f.set_mac(seal_->seal(bytes));
    f.set_batch(std::move(bytes));
    return f;
  }
  bool send(const std::vector<v1::Envelope>& envelopes) { return write(sealed(envelopes)); }
  /// The next frame's envelopes, its seal checked; nullopt at the end or
  /// on a bad seal.
  std::optional<v1::Batch> receive() {
    auto f = read();
    if (!f || !open_->open(*f->mutable_batch(), f->mac())) return std::nullopt;
    v1::Batch b;
    if (!b.ParseFromString(f->batch())) return std::nullopt;
    return b;
  }

  /// How the node ended the stream (after reads fail).
  grpc::Status finish() {
    while (read()) {
    }
    finished_ = true;
    if (!stream_) return tcp_status_;
    return stream_->Finish();
  }
  void cancel() {
    if (stream_) {
      context_.TryCancel();
    } else {
      ::shutdown(fd_, SHUT_RDWR);
    }
  }

 private:
  static std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> open(
      v1::Cluster::Stub& stub, grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub.Connect(&context);
  }

  // A blocking TCP connection to a numeric "ip:port" (IPv4), with 30 s
  // timeouts on reads.
  static int connect_tcp(const std::string& address) {
    const auto colon = address.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  bool read_exactly(std::string& out) {
    for (std::size_t got = 0; got < out.size();) {
      const ssize_t n = ::recv(fd_, out.data() + got, out.size() - got, 0);
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  }

  std::unique_ptr<v1::Cluster::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> stream_;  // on gRPC
  int fd_ = -1;                                                             // on TCP
  grpc::Status tcp_status_{grpc::StatusCode::UNAVAILABLE, "the connection closed"};
  bool finished_ = false;
  v1::Hello their_hello_;
  troupe::remote::detail::HandshakeKeys keys_;
  std::optional<troupe::remote::detail::FrameSeal> seal_;
  std::optional<troupe::remote::detail::FrameSeal> open_;
};

/// An envelope for actor `actor` of the node (0: the node itself).
inline v1::Envelope envelope_to(std::uint64_t actor, const google::protobuf::MessageLite& m,
                                v1::Envelope::Kind kind = v1::Envelope::TELL,
                                std::uint64_t correlation = 0) {
  v1::Envelope e = troupe::proto::encode(m, kind);
  e.mutable_target()->set_actor(actor);
  e.set_correlation_id(correlation);
  return e;
}

}  // namespace remote_test
