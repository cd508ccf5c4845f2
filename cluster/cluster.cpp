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

std::vector<Member> Cluster::members() const {
  std::vector<Member> all;
  for (auto& m : core_->members()) all.push_back(std::move(m.member));
  return all;
}

}  // namespace troupe::cluster
