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
      peer_role_(node_dials ? "acceptor" : "dialer") {}

void ScriptedStream::start_read(v1::Frame* frame) { spawn(complete_read(frame)).detach(); }

void ScriptedStream::start_write(const v1::Frame* frame) {
  FUZZ_CHECK(frame->ByteSizeLong() <= max_frame_bytes_,
             "the node never writes a frame its peer would refuse as too large");
  if (frame->has_hello() && node_nonce_.empty()) node_nonce_ = frame->hello().nonce();
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
  if (!hello_) return;
  const auto valid = [&] {
    vouched_ = true;
    return remote::detail::make_proof(kClusterSecret, peer_role_, node_nonce_, hello_->node(),
                                      hello_->incarnation());
  };
  if (frame.has_hello() && frame.hello().proof() == kValidProof) {
    frame.mutable_hello()->set_proof(valid());
  }
  if (frame.proof() == kValidProof) frame.set_proof(valid());
}

}  // namespace troupe::fuzz
