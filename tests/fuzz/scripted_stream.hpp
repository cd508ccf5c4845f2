// A Connection's gRPC side played from fuzz input: the seam through which
// the remote-frame target drives the real handshake, reader and writer of
// remote/detail/connection.cpp with no network and no gRPC threads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/support/status.h>

#include <troupe/remote/detail/connection.hpp>
#include <troupe/remote/detail/frame_seal.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/v1/cluster.pb.h>

namespace troupe::fuzz {

/// Reads are the gRPC messages of `wire` (see grpc_framing.hpp), each
/// decoded into a Frame by gRPC's own deserializer, as a server or client
/// reactor would; a message gRPC would refuse (compressed, over the size
/// limit, not a Frame) or the end of `wire` fails the read, as a lost or
/// broken stream does. Writes succeed until the stream is cancelled.
///
/// Operations complete later, from a task of their own (as gRPC completes
/// them from its threads), so that the node's other tasks run in between.
/// Proofs equal to kValidProof are replaced by valid ones, and batches
/// whose tag is kValidProof are sealed.
class ScriptedStream final : public remote::detail::Connection::Stream {
 public:
  ScriptedStream(remote::detail::Connection& connection, std::string_view wire,
                 std::size_t max_frame_bytes, bool node_dials);

  void start_read(v1::Frame* frame) override;
  void start_write(const v1::Frame* frame) override;
  void cancel() override { cancelled_ = true; }
  void finish(const grpc::Status& status) override;
  std::string peer_address() const override { return "ipv4:192.0.2.2:7002"; }
  std::vector<std::string> peer_identities() const override { return {}; }

  /// True if a valid proof was handed to the node.
  bool vouched() const noexcept { return vouched_; }
  /// True if a Frame with `welcome` set was handed to the node.
  bool welcomed() const noexcept { return welcomed_; }

 private:
  Task<void> complete_read(v1::Frame* frame);
  Task<void> complete_write();
  Task<void> complete_finish(grpc::Status status);
  bool next_frame(v1::Frame& frame);
  void vouch(v1::Frame& frame);

  remote::detail::Connection& connection_;
  std::string_view wire_;
  const std::size_t max_frame_bytes_;
  const bool node_dials_;
  bool cancelled_ = false;
  bool vouched_ = false;
  bool welcomed_ = false;
  std::optional<v1::Hello> node_hello_;            // the node's
  std::optional<v1::Hello> hello_;                 // the peer's first
  std::optional<remote::detail::FrameSeal> seal_;  // the peer's frames, once both hellos are known
};

}  // namespace troupe::fuzz
