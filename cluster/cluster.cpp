#include <algorithm>
#include <stdexcept>
#include <utility>

#include <troupe/cluster/cluster.hpp>

namespace troupe::cluster {

namespace {

detail::EtcdClient client_for(const EtcdOptions& options) {
  auto client = detail::EtcdClient::create(options);
  if (!client) throw std::invalid_argument("troupe cluster: " + client.error().message());
  return std::move(*client);
}

}  // namespace

Cluster::Cluster(remote::Node& node, ClusterOptions options)
    : node_(node),
      core_(std::make_shared<detail::ClusterCore>(node, options, client_for(options.etcd))) {}

Cluster::~Cluster() { shutdown(); }

Task<Expected<v1::NamedActor, remote::LookupFailure>> Cluster::find_connected(
    std::string name, std::vector<std::string> types, Duration timeout) {
  using Failure = remote::LookupFailure;
  auto record = co_await core_->find_name(name);
  if (!record) co_return unexpected(record.error());
  const auto& accepted = record->message_types();
  for (const auto& type : types) {
    if (std::find(accepted.begin(), accepted.end(), type) == accepted.end()) {
      co_return unexpected(
          Failure{remote::LookupError::kWrongType,
                  "the actor registered as \"" + name + "\" does not accept " + type});
    }
  }
  if (record->node() != node_.name()) {
    // A member is connected already, or soon; a node that is not one is
    // not dialed (its record outlives it by the TTL at most).
    const bool member = core_->member(record->node()).has_value();
    const bool up = member && co_await node_.wait_for(record->node(), timeout);
    if (!up) {
      co_return unexpected(Failure{remote::LookupError::kUnreachable,
                                   "node " + record->node() + " is not connected"});
    }
  }
  co_return std::move(*record);
}

std::vector<Member> Cluster::members() const {
  std::vector<Member> all;
  for (auto& m : core_->members()) all.push_back(std::move(m.member));
  return all;
}

}  // namespace troupe::cluster
