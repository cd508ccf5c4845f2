// How the remote-frame target's input reaches a Connection (see
// scripted_stream.hpp): gRPC's framing and deserializer, then the proofs.

#include "scripted_stream.hpp"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <troupe/remote/detail/handshake.hpp>
#include <troupe/runtime/spawn.hpp>

#include "fuzz_check.hpp"
#include "grpc_framing.hpp"
#include "remote_fixture.hpp"

namespace troupe::fuzz {

ScriptedStream::ScriptedStream(remote::detail::Connection& connection, std::string_view wire,
                               std::size_t max_frame_bytes, bool node_dials)
    : connection_(connection),
      wire_(wire),
      max_frame_bytes_(max_frame_bytes),
      node_dials_(node_dials) {}

void ScriptedStream::start_read(v1::Frame* frame) { spawn(complete_read(frame)).detach(); }

void ScriptedStream::start_write(const v1::Frame* frame) {
  FUZZ_CHECK(frame->ByteSizeLong() <= max_frame_bytes_,
             "the node never writes a frame its peer would refuse as too large");
  if (frame->has_hello() && !node_hello_) node_hello_ = frame->hello();
  spawn(complete_write()).detach();
}

void ScriptedStream::finish(const grpc::Status& status) { spawn(complete_finish(status)).detach(); }

Task<void> ScriptedStream::complete_read(v1::Frame* frame) {
  const bool ok = !cancelled_ && next_frame(*frame);
  if (!ok) cancelled_ = true;  // the stream is over: so are the writes
  connection_.on_read_done(ok);
  co_return;
}

Task<void> ScriptedStream::complete_write() {
  connection_.on_write_done(!cancelled_);
  co_return;
}

Task<void> ScriptedStream::complete_finish(grpc::Status status) {
  connection_.on_done(status);
  co_return;
}

bool ScriptedStream::next_frame(v1::Frame& frame) {
  const std::optional<GrpcMessage> m = take_message(wire_);
  // No compression is ever negotiated, and gRPC enforces the size limit.
  if (!m || m->compressed || m->bytes.size() > max_frame_bytes_) return false;
  grpc::Slice slice(m->bytes.data(), m->bytes.size());
  grpc::ByteBuffer buffer(&slice, 1);
  if (!grpc::SerializationTraits<v1::Frame>::Deserialize(&buffer, &frame).ok()) return false;
  vouch(frame);
  if (frame.welcome()) welcomed_ = true;
  return true;
}

void ScriptedStream::vouch(v1::Frame& frame) {
  if (frame.has_hello() && !hello_) hello_ = frame.hello();
  if (!hello_ || !node_hello_) return;
  using remote::detail::Transcript;
  const auto keys = remote::detail::derive_keys(
      kClusterSecret, node_dials_ ? Transcript{.dialer = *node_hello_, .acceptor = *hello_}
                                  : Transcript{.dialer = *hello_, .acceptor = *node_hello_});
  if (frame.proof() == kValidProof) {
    vouched_ = true;
    frame.set_proof(node_dials_ ? keys.acceptor_proof : keys.dialer_proof);
  }
  if (!seal_) seal_.emplace(node_dials_ ? keys.acceptor_to_dialer : keys.dialer_to_acceptor);
  // Every frame after the handshake counts in the seal's sequence, as at
  // the node's end; only those that say so are sealed.
  if (!frame.batch().empty() || !frame.mac().empty()) {
    std::string sealed = frame.batch();
    std::string tag = seal_->seal(sealed);
    if (frame.mac() == kValidProof) {
      frame.set_batch(std::move(sealed));
      frame.set_mac(std::move(tag));
    }
  }
}

}  // namespace troupe::fuzz
