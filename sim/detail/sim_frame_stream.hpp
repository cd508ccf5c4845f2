#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include <troupe/channels/mpsc.hpp>
#include <troupe/remote/detail/connection.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/detail/sim_wire.hpp>

namespace troupe {
class SimNetwork;
}

namespace troupe::detail {

/// A Connection's stream on a SimNetwork: one side of a SimWire. What the
/// TCP transport's stream does on a socket it does on the wire, so that
/// the Connection above it (handshake, sealed frames, keepalive, refusals)
/// runs unchanged: a written frame is serialized and arrives at the other
/// side at the time the network draws; a frame held by a partition is
/// retried until the partition heals or the connection is given up; a
/// reset ends the reads at once, a close after the frames before it.
///
/// Owned by the task that runs its connection; single-threaded, as the
/// simulation.
class SimFrameStream final : public remote::detail::Connection::Stream {
 public:
  using Connection = remote::detail::Connection;

  SimFrameStream(std::shared_ptr<SimNetwork> network, std::shared_ptr<SimWire> wire, int side,
                 std::shared_ptr<Connection> connection, Connection::Role role);

  bool direct() const noexcept override { return true; }
  Task<bool> read_frame(v1::Frame& frame) override;
  Task<bool> write_frame(const v1::Frame& frame) override;
  void start_read(v1::Frame*) override {}
  void start_write(const v1::Frame*) override {}
  void cancel() override;
  void finish(const grpc::Status& status) override;
  std::string peer_address() const override { return wire_->names[1 - side_]; }
  std::vector<std::string> peer_identities() const override { return {}; }
  bool peer_gone() const noexcept override { return wire_->closed[1 - side_]; }
  Instant last_heard() const noexcept override { return heard_; }
  Instant last_said() const noexcept override { return said_; }

 private:
  // The next segment once it has arrived (a partition holds it back);
  // empty if the stream was cancelled meanwhile or the wire has ended.
  Task<std::optional<SimSegment>> arrive();

  std::shared_ptr<SimNetwork> network_;
  std::shared_ptr<SimWire> wire_;
  const int side_;
  std::shared_ptr<Connection> connection_;
  const Connection::Role role_;
  MpscSender<bool> cancel_tx_;  // closed by cancel: wakes a waiting read
  MpscReceiver<bool> cancel_rx_;
  std::optional<SimSegment> next_;  // taken from the inbox, not arrived yet
  Instant heard_;
  Instant said_;
  std::string ended_ = "the connection closed";
  grpc::Status refusal_;
};

}  // namespace troupe::detail
