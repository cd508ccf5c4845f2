#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include <troupe/remote/detail/connection.hpp>
#include <troupe/remote/detail/frame_reader.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/tcp_stream.hpp>

namespace troupe::remote::detail {

/// A Connection's stream on the node's own TCP transport: the same Frames
/// as on gRPC, each preceded by its length (4 bytes, little-endian), on a
/// TcpStream driven by the runtime's reactor. The connection's reader and
/// writer tasks read and write the socket themselves (a direct stream), so
/// a frame crosses no thread between the socket and the actors: the
/// reactor's thread only wakes the task that waits.
///
/// What gRPC gave the other stream, this one does itself: an empty frame
/// is a keepalive ping (the connection's keepalive task has the writer send
/// one after a quiet interval, and drops a peer not heard for the interval
/// and the timeout: the clocks below), which is how a frozen or cut-off
/// peer is found; an acceptor that refuses a
/// stream says why in a last frame (Frame.refusal), which the dialer
/// reports as the status gRPC would have given.
///
/// Owned by the task that runs its connection (it must outlive
/// Connection::run); one reader and one writer at a time, as the
/// connection uses it; cancel() and finish() from any thread.
class TcpFrameStream final : public Connection::Stream {
 public:
  TcpFrameStream(std::shared_ptr<Connection> connection, Connection::Role role, TcpStream socket,
                 std::string peer_address, std::size_t max_frame_bytes);

  bool direct() const noexcept override { return true; }
  Task<bool> read_frame(v1::Frame& frame) override;
  Task<bool> write_frame(const v1::Frame& frame) override;
  // Only the callbacks' streams (gRPC) start operations: unused here.
  void start_read(v1::Frame*) override {}
  void start_write(const v1::Frame*) override {}
  void cancel() override;
  void finish(const grpc::Status& status) override;
  std::string peer_address() const override { return address_; }
  std::vector<std::string> peer_identities() const override { return {}; }
  void handshake_done() noexcept override { reader_.set_limit(max_frame_bytes_); }
  bool peer_gone() const noexcept override;
  Instant last_heard() const noexcept override { return Instant(Duration(heard_.load(kRelaxed))); }
  Instant last_said() const noexcept override { return Instant(Duration(said_.load(kRelaxed))); }

  /// The largest frame read before the handshake is done: a hello (a
  /// name of at most 255 bytes, a nonce), a proof, a refusal.
  static constexpr std::size_t kHandshakeFrameBytes = 4096;

 private:
  std::shared_ptr<Connection> connection_;
  const Connection::Role role_;
  TcpStream socket_;
  const std::string address_;
  const std::size_t max_frame_bytes_;
  static constexpr auto kRelaxed = std::memory_order_relaxed;  // clocks: they order nothing
  std::atomic<Duration::rep> heard_;                           // Clock ticks of the last byte read
  std::atomic<Duration::rep> said_;                            // and of the last frame written
  FrameReader reader_;
  std::string out_;  // the frame being written, with its length
  // Why the reads ended (the dialer's status when it was not refused).
  std::string ended_ = "the connection closed";
  grpc::Status refusal_;  // what a refusing acceptor said (the dialer's)
};

}  // namespace troupe::remote::detail
