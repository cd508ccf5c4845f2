// The case table of troupe-bench-cluster (main.cpp is troupe-bench's): the
// cluster cases, and the node role that they start as
// `troupe-bench-cluster --cluster-node key=value ...` (cases/cluster_node.cpp).
// find_case knows the role; case_table, and so --help, does not list it,
// since nobody but a case starts it.
#include "case_table.hpp"
#include "cases/cluster_cases.hpp"

namespace troupe::bench {

const std::vector<CaseInfo>& case_table() {
  static const std::vector<CaseInfo> table = {
      {"cluster_activate", cluster_activate_keys(), run_cluster_activate},
      {"cluster_tell", cluster_tell_keys(), run_cluster_tell},
      {"cluster_failover", cluster_failover_keys(), run_cluster_failover},
  };
  return table;
}

const CaseInfo* find_case(std::string_view name) {
  static const CaseInfo node_role = {"--cluster-node", cluster_node_keys(), run_cluster_node};
  for (const auto& c : case_table()) {
    if (c.name == name) return &c;
  }
  if (name == node_role.name) return &node_role;
  return nullptr;
}

}  // namespace troupe::bench
