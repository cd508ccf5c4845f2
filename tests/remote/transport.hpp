// Which transport the remote tests' nodes use.
#pragma once

#include <cstdlib>
#include <string_view>

#include <troupe/remote/node_options.hpp>

namespace remote_test {

/// TROUPE_TEST_TRANSPORT=tcp or grpc (the default), set for a whole run of
/// the suite (ctest runs it once for each); the node processes inherit it.
inline troupe::remote::NodeOptions::Transport test_transport() {
  const char* t = std::getenv("TROUPE_TEST_TRANSPORT");
  return t && std::string_view(t) == "tcp" ? troupe::remote::NodeOptions::Transport::kTcp
                                           : troupe::remote::NodeOptions::Transport::kGrpc;
}

}  // namespace remote_test
