#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace troupe::remote {

/// What a node knows of one peer at one moment, for metrics
/// (`Node::peer_stats`): a plain value, owned by the caller.
struct PeerStats {
  std::string name;              // the peer node's name
  bool connected = false;        // a connection to it is up now
  std::uint64_t sent = 0;        // envelopes written to it, over every connection
  std::uint64_t received = 0;    // envelopes read from it, over every connection
  std::size_t outbox_depth = 0;  // envelopes waiting in its outbox now
};

}  // namespace troupe::remote
