// A peer played by the test itself over a bare gRPC stream: it says what
// the test tells it to, including what no Troupe node would (someone
// else's name, a forged MAC, a replayed frame), and knows the secret only
// when the test gives it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <troupe/proto/codec.hpp>
#include <troupe/remote/detail/frame_seal.hpp>
#include <troupe/remote/detail/handshake.hpp>
#include <troupe/v1/cluster.grpc.pb.h>

namespace remote_test {

namespace v1 = troupe::v1;

/// One stream to a node, as the dialing side. Blocking calls; one thread
/// at a time.
class RawPeer {
 public:
  /// On a connection of its own.
  explicit RawPeer(const std::string& address) : RawPeer(channel_to(address)) {}
  /// A stream on `channel` (streams of one channel share its connection).
  /// Every stream ends within 30 s: a test waiting for something the
  /// node never does fails then, instead of hanging.
  explicit RawPeer(const std::shared_ptr<grpc::Channel>& channel)
      : stub_(v1::Cluster::NewStub(channel)), stream_(open(*stub_, context_)) {}
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;
  ~RawPeer() {
    if (finished_) return;
    context_.TryCancel();
    (void)stream_->Finish();
  }

  /// A channel with a connection of its own (not shared with other
  /// channels to the same address), for frames up to 16 MiB.
  static std::shared_ptr<grpc::Channel> channel_to(const std::string& address) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxSendMessageSize(16 << 20);
    args.SetMaxReceiveMessageSize(16 << 20);
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
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

  bool write(const v1::Frame& f) { return stream_->Write(f); }
  bool write_hello(const v1::Hello& h) {
    v1::Frame f;
    *f.mutable_hello() = h;
    return write(f);
  }
  std::optional<v1::Frame> read() {
    v1::Frame f;
    if (!stream_->Read(&f)) return std::nullopt;
    return f;
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
    v1::Frame f;
    while (stream_->Read(&f)) {
    }
    finished_ = true;
    return stream_->Finish();
  }
  void cancel() { context_.TryCancel(); }

 private:
  static std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> open(
      v1::Cluster::Stub& stub, grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub.Connect(&context);
  }

  std::unique_ptr<v1::Cluster::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> stream_;
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
