#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include <troupe/channels/mpsc.hpp>
#include <troupe/remote/detail/frame_seal.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/v1/cluster.pb.h>

namespace troupe::remote::detail {

class NodeCore;
class Peer;

/// One gRPC stream between this node and a peer, and the tasks that drive
/// it: the handshake (remote/detail/handshake.hpp), then a reader that
/// checks each frame's seal and hands its envelopes to the node, and a
/// writer that batches the peer's outbox into sealed frames.
///
/// gRPC's callbacks (on its own threads) only push their outcome into the
/// channels below, which wakes the waiting task; they never resume a
/// coroutine or block. One read and one write are in flight at most,
/// which is where gRPC's flow control reaches the senders: a slow peer
/// fills the outbox, and then `send` waits.
///
/// Shared by its reactor (until gRPC calls OnDone) and its tasks.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Role { kDialer, kAcceptor };

  /// What carries the frames: a gRPC client or server reactor, whose
  /// callbacks report each read and write (start_read, start_write), or a
  /// TCP connection on the runtime's own reactor (TcpFrameStream), read and
  /// written in the connection's tasks themselves (direct(): read_frame,
  /// write_frame), so that a frame crosses no other thread.
  class Stream {
   public:
    virtual ~Stream() = default;
    virtual bool direct() const noexcept { return false; }
    virtual void start_read(v1::Frame* frame) = 0;
    virtual void start_write(const v1::Frame* frame) = 0;
    /// A direct stream's read and write (one of each at a time).
    virtual Task<bool> read_frame(v1::Frame& frame);
    virtual Task<bool> write_frame(const v1::Frame& frame);
    /// The handshake succeeded: frames up to the node's limit may come now
    /// (before, a stranger gets no more than a hello's worth of memory).
    virtual void handshake_done() noexcept {}
    /// A direct stream whose reader is paused (backpressure on a peer's
    /// requests) cannot see the peer go by reading: true once the other
    /// side has closed or reset the connection all the same.
    virtual bool peer_gone() const noexcept { return false; }
    /// A direct stream's clocks, for its keepalive: when a byte last came,
    /// and when a frame last went (any thread).
    virtual Instant last_heard() const noexcept { return {}; }
    virtual Instant last_said() const noexcept { return {}; }
    /// Ends the call: the operations in flight complete with ok = false.
    virtual void cancel() = 0;
    /// No more operations from us (the client drops its hold, the server
    /// finishes with `status`); gRPC calls OnDone after this.
    virtual void finish(const grpc::Status& status) = 0;
    virtual std::string peer_address() const = 0;
    /// The subject alternative names of the peer's TLS certificate (none
    /// on a plaintext stream).
    virtual std::vector<std::string> peer_identities() const = 0;
  };

  /// How a connection ended (what the dialer's backoff depends on).
  struct Outcome {
    bool was_up = false;  // the handshake succeeded
    grpc::Status status;  // as gRPC reported the call's end
  };

  /// `dialed`: the address a dialer dialed (its peer's expected name).
  Connection(std::shared_ptr<NodeCore> node, Role role, std::string dialed = {});
  ~Connection();

  void bind(Stream& stream) noexcept { stream_ = &stream; }

  // --- gRPC callbacks (any thread; never block) ----------------------------------
  void on_read_done(bool ok) { (void)reads_tx_.try_send(ok); }
  void on_write_done(bool ok) { (void)writes_tx_.try_send(ok); }
  void on_done(const grpc::Status& status);

  /// The connection's whole life; ends once gRPC is done with the stream.
  Task<Outcome> run();
  /// Runs `connection` on a direct `stream` that lives as long as it does
  /// (a transport's accepted or dialed connection): the outcome of run().
  static Task<Outcome> run_on(std::shared_ptr<NodeCore> node,
                              std::shared_ptr<Connection> connection,
                              std::unique_ptr<Stream> stream);
  /// A dialed connection that could not be made: the dialer's claim on
  /// the peer at `address` is released, and the outcome is UNAVAILABLE.
  static Outcome unreachable(NodeCore& node, Connection& connection, const std::string& address,
                             const std::string& why);
  /// Ends the stream from anywhere (shutdown, a lost race for the peer).
  void cancel(const std::string& why);

 private:
  Task<bool> read();
  Task<bool> write(const v1::Frame& frame);
  Task<bool> outcome(MpscReceiver<bool>& done);
  Task<bool> within_handshake(Task<bool> operation);
  Task<bool> handshake_as_dialer();
  Task<bool> handshake_as_acceptor();
  Task<bool> accept();
  v1::Hello own_hello() const;
  /// Empty if the peer's certificate (if TLS) names `node`, else why not.
  std::string identity_mismatch(const std::string& node) const;
  void log_refusal(const std::string& who, const std::string& why);
  Task<void> read_loop();
  Task<void> keepalive();
  Task<bool> wait_for_room();
  Task<void> watch_peer();
  Task<void> write_loop();
  void finish(const grpc::Status& status);

  std::shared_ptr<NodeCore> node_;
  const Role role_;
  const std::string dialed_;
  std::shared_ptr<Peer> peer_;
  std::uint64_t peer_incarnation_ = 0;
  Instant handshake_deadline_{};
  bool in_handshake_ = true;
  std::optional<FrameSeal> seal_;  // our frames
  std::optional<FrameSeal> open_;  // theirs

  Stream* stream_ = nullptr;
  std::mutex mutex_;  // guards the three below: cancel races the tasks
  bool finished_ = false;
  std::string cancel_reason_;
  grpc::Status refusal_;  // what the acceptor finishes with after a failed handshake

  v1::Frame in_;
  v1::Frame out_;
  v1::Batch batch_in_;
  v1::Batch batch_out_;
  MpscSender<bool> reads_tx_;
  MpscReceiver<bool> reads_rx_;
  MpscSender<bool> writes_tx_;
  MpscReceiver<bool> writes_rx_;
  MpscSender<grpc::Status> done_tx_;
  MpscReceiver<grpc::Status> done_rx_;
  MpscSender<bool> stop_tx_;  // closed to stop the writer
  MpscReceiver<bool> stop_rx_;
  MpscSender<bool> ping_tx_;  // a direct stream's writer: send a keepalive ping
  MpscReceiver<bool> ping_rx_;
  MpscSender<bool> lost_tx_;  // closed by cancel: stops a reader waiting to serve
  MpscReceiver<bool> lost_rx_;
};

}  // namespace troupe::remote::detail
