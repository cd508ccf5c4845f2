// Which transport the remote tests' nodes use.
#pragma once

#include <cstdlib>
#include <string_view>

#include <troupe/remote/node_options.hpp>

namespace remote_test {

/// TROUPE_TEST_TRANSPORT=grpc or tcp (the default, as a node's), set for
/// a whole run of the suite (ctest runs it once for each); the node
/// processes inherit it.
inline troupe::remote::NodeOptions::Transport test_transport() {
  const char* t = std::getenv("TROUPE_TEST_TRANSPORT");
  return t && std::string_view(t) == "grpc" ? troupe::remote::NodeOptions::Transport::kGrpc
                                            : troupe::remote::NodeOptions::Transport::kTcp;
}

}  // namespace remote_test
