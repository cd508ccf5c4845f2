#include <utility>

#include <troupe/remote/detail/node_core.hpp>
#include <troupe/remote/detail/reactors.hpp>

namespace troupe::remote::detail {

ClientReactor::ClientReactor(std::shared_ptr<Connection> connection)
    : connection_(std::move(connection)) {
  connection_->bind(*this);
}

void ClientReactor::start(v1::Cluster::Stub& stub) {
  stub.async()->Connect(&context_, this);
  AddHold();
  StartCall();
  address_ = context_.peer();
}

void ClientReactor::OnDone(const grpc::Status& status) {
  auto connection = std::move(connection_);
  delete this;
  connection->on_done(status);
}

ServerReactor::ServerReactor(grpc::CallbackServerContext* context,
                             std::shared_ptr<Connection> connection)
    : context_(context), connection_(std::move(connection)), address_(context->peer()) {
  connection_->bind(*this);
}

void ServerReactor::OnDone() {
  auto connection = std::move(connection_);
  delete this;
  connection->on_done(grpc::Status::OK);
}

grpc::ServerBidiReactor<v1::Frame, v1::Frame>* ClusterService::Connect(
    grpc::CallbackServerContext* context) {
  auto connection = std::make_shared<Connection>(node_, Connection::Role::kAcceptor);
  auto* reactor = new ServerReactor(context, connection);
  const bool open = node_->open_stream(connection);
  if (!open) connection->cancel("the node is shutting down");
  // Only hands the connection to the runtime: its task does the rest.
  node_->run_detached([](std::shared_ptr<Connection> c) -> Task<void> {
    (void)co_await c->run();
  }(std::move(connection)));
  return reactor;
}

}  // namespace troupe::remote::detail
