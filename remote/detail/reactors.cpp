#include <utility>

#include <grpc/grpc_security_constants.h>

#include <troupe/remote/detail/node_core.hpp>
#include <troupe/remote/detail/reactors.hpp>

namespace troupe::remote::detail {

namespace {
std::vector<std::string> subject_names(const std::shared_ptr<const grpc::AuthContext>& auth) {
  std::vector<std::string> names;
  if (!auth) return names;
  for (const auto& name : auth->FindPropertyValues(GRPC_X509_SAN_PROPERTY_NAME))
    names.emplace_back(name.data(), name.size());
  return names;
}
}  // namespace

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

std::vector<std::string> ClientReactor::peer_identities() const {
  return subject_names(context_.auth_context());
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

std::vector<std::string> ServerReactor::peer_identities() const {
  return subject_names(context_->auth_context());
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
