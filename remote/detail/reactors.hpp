#pragma once

#include <memory>
#include <string>
#include <vector>

#include <troupe/remote/detail/connection.hpp>
#include <troupe/v1/cluster.grpc.pb.h>

namespace troupe::remote::detail {

class NodeCore;

/// The dialing end of a stream: gRPC's client reactor, forwarding its
/// callbacks to the Connection. Deletes itself once gRPC calls OnDone.
class ClientReactor final : public grpc::ClientBidiReactor<v1::Frame, v1::Frame>,
                            public Connection::Stream {
 public:
  explicit ClientReactor(std::shared_ptr<Connection> connection);
  /// Opens the call; every operation comes from the connection's tasks,
  /// outside gRPC's reactions, hence the hold until finish().
  void start(v1::Cluster::Stub& stub);

  void start_read(v1::Frame* frame) override { StartRead(frame); }
  void start_write(const v1::Frame* frame) override { StartWrite(frame); }
  void cancel() override { context_.TryCancel(); }
  void finish(const grpc::Status&) override { RemoveHold(); }
  std::string peer_address() const override { return address_; }
  std::vector<std::string> peer_identities() const override;

  void OnReadDone(bool ok) override { connection_->on_read_done(ok); }
  void OnWriteDone(bool ok) override { connection_->on_write_done(ok); }
  void OnDone(const grpc::Status& status) override;

 private:
  grpc::ClientContext context_;
  std::shared_ptr<Connection> connection_;
  std::string address_;
};

/// The accepting end: gRPC's server reactor for one Connect call.
class ServerReactor final : public grpc::ServerBidiReactor<v1::Frame, v1::Frame>,
                            public Connection::Stream {
 public:
  ServerReactor(grpc::CallbackServerContext* context, std::shared_ptr<Connection> connection);

  void start_read(v1::Frame* frame) override { StartRead(frame); }
  void start_write(const v1::Frame* frame) override { StartWrite(frame); }
  void cancel() override { context_->TryCancel(); }
  void finish(const grpc::Status& status) override { Finish(status); }
  std::string peer_address() const override { return address_; }
  std::vector<std::string> peer_identities() const override;

  void OnReadDone(bool ok) override { connection_->on_read_done(ok); }
  void OnWriteDone(bool ok) override { connection_->on_write_done(ok); }
  void OnDone() override;

 private:
  grpc::CallbackServerContext* context_;
  std::shared_ptr<Connection> connection_;
  std::string address_;
};

/// The gRPC service a listening node offers: each Connect call becomes an
/// accepting Connection, run on the node's runtime.
class ClusterService final : public v1::Cluster::CallbackService {
 public:
  explicit ClusterService(std::shared_ptr<NodeCore> node) : node_(std::move(node)) {}
  grpc::ServerBidiReactor<v1::Frame, v1::Frame>* Connect(
      grpc::CallbackServerContext* context) override;

 private:
  std::shared_ptr<NodeCore> node_;
};

}  // namespace troupe::remote::detail
