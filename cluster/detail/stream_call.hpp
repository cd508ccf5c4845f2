#pragma once

// Internal to the cluster module's sources (see etcd_session.hpp).

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <grpcpp/client_context.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/status.h>

#include <troupe/channels/mpsc.hpp>
#include <troupe/cluster/detail/etcd_session.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::cluster::detail {

/// One bidirectional streaming call (a watch, a lease keep-alive), driven
/// by the task that owns this object. gRPC's reactor callbacks (on gRPC's
/// threads) only push each operation's outcome into a channel, which wakes
/// the task; they never resume a coroutine or block. The task starts every
/// read and write itself, at most one of each in flight, which is also
/// where gRPC's flow control reaches it.
///
/// Owned by one task (not thread-safe). The reactor lives until gRPC calls
/// OnDone, which a hold defers until finish() or the destructor, so the
/// task may use it until then; destroying this object (its task cancelled)
/// cancels the call.
template <class Req, class Resp>
class StreamCall {
 public:
  /// Starts the call on the stub, e.g. `e.watch->async()->Watch(context, reactor)`.
  using Open = void (*)(EtcdSession::Endpoint& e, grpc::ClientContext* context,
                        grpc::ClientBidiReactor<Req, Resp>* reactor);

  /// Opens the call on the session's endpoint `endpoint`, with the auth token if any.
  StreamCall(EtcdSession& s, std::size_t endpoint, Open open, const std::string& token) {
    auto reads = channel::mpsc::unbounded<bool>();
    auto writes = channel::mpsc::unbounded<bool>();
    auto done = channel::mpsc::unbounded<grpc::Status>();
    reads_ = std::move(reads.second);
    writes_ = std::move(writes.second);
    done_ = std::move(done.second);
    reactor_ = new Reactor(s.track(), std::move(reads.first), std::move(writes.first),
                           std::move(done.first));
    if (!token.empty()) reactor_->context.AddMetadata("token", token);
    open(s.endpoint(endpoint), &reactor_->context, reactor_);
    reactor_->AddHold();
    reactor_->StartCall();
  }
  StreamCall(const StreamCall&) = delete;
  StreamCall& operator=(const StreamCall&) = delete;
  ~StreamCall() { release(); }

  /// Reads the next message; its outcome comes on reads(). At most one in flight.
  void start_read() { reactor_->StartRead(&reactor_->in); }
  /// Writes `r`; its outcome comes on writes(). At most one in flight.
  void start_write(Req r) {
    reactor_->out = std::move(r);
    reactor_->StartWrite(&reactor_->out);
  }
  /// One item per read: true when received() holds a new message, false
  /// when the stream is over (finish() then says why).
  MpscReceiver<bool>& reads() noexcept { return reads_; }
  /// One item per write: false when the stream is over.
  MpscReceiver<bool>& writes() noexcept { return writes_; }
  /// The message the last successful read received (until the next read).
  Resp& received() noexcept { return reactor_->in; }

  /// Ends the call (cancelling it if it is still open) and gives gRPC's
  /// final status: the server's, if it ended the stream first.
  Task<grpc::Status> finish() {
    release();
    std::optional<grpc::Status> status = co_await done_.next();
    co_return status.value_or(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was dropped"));
  }

 private:
  class Reactor final : public grpc::ClientBidiReactor<Req, Resp> {
   public:
    Reactor(CallTracker::Ticket ticket, MpscSender<bool> reads, MpscSender<bool> writes,
            MpscSender<grpc::Status> done)
        : ticket_(std::move(ticket)),
          reads_(std::move(reads)),
          writes_(std::move(writes)),
          done_(std::move(done)) {}

    void OnReadDone(bool ok) override { (void)reads_.try_send(ok); }
    void OnWriteDone(bool ok) override { (void)writes_.try_send(ok); }
    void OnDone(const grpc::Status& status) override {
      MpscSender<grpc::Status> done = std::move(done_);
      grpc::Status copy = status;
      delete this;
      (void)done.try_send(std::move(copy));
    }

   private:
    CallTracker::Ticket ticket_;  // first: destroyed after the context (see CallTracker)

   public:
    grpc::ClientContext context;
    Req out;
    Resp in;

   private:
    MpscSender<bool> reads_;
    MpscSender<bool> writes_;
    MpscSender<grpc::Status> done_;
  };

  // Cancels the call and lets gRPC finish it: OnDone comes once the
  // operations in flight have completed, and deletes the reactor.
  void release() noexcept {
    if (reactor_ == nullptr) return;
    reactor_->context.TryCancel();
    reactor_->RemoveHold();
    reactor_ = nullptr;
  }

  Reactor* reactor_ = nullptr;
  MpscReceiver<bool> reads_;
  MpscReceiver<bool> writes_;
  MpscReceiver<grpc::Status> done_;
};

}  // namespace troupe::cluster::detail
