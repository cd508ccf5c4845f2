// The cluster cases' entries in troupe-bench: they hand the run over to
// troupe-bench-cluster (see cases/cluster_cases.hpp for why).
#include "cases/cluster_cases.hpp"
#include "cases/sibling_exec.hpp"

namespace troupe::bench {

namespace {
constexpr const char* kExecutable = "troupe-bench-cluster";
}  // namespace

Outcome exec_cluster_activate(const Params& p) {
  exec_sibling(kExecutable, "cluster_activate", p, cluster_activate_keys());
}

Outcome exec_cluster_tell(const Params& p) {
  exec_sibling(kExecutable, "cluster_tell", p, cluster_tell_keys());
}

Outcome exec_cluster_failover(const Params& p) {
  exec_sibling(kExecutable, "cluster_failover", p, cluster_failover_keys());
}

}  // namespace troupe::bench
