// The node the remote-frame target runs and the peer its input plays,
// shared with the seed generator so that the seeds get past the handshake
// and reach the node's actors.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace troupe::fuzz {

inline constexpr std::string_view kClusterSecret = "fuzz-cluster-secret-0123456789abcdef";
/// The node under test, and its peer as the node dials it.
inline constexpr std::string_view kNodeName = "127.0.0.1:7001";
inline constexpr std::string_view kPeerName = "127.0.0.1:7002";

/// A proof in the input equal to this is replaced by the valid one, which
/// depends on the node's random nonce: the peer played by the input knows
/// the secret when it says so, and only then. A frame whose tag equals it
/// has its batch sealed (encrypted, with the valid tag) when played.
inline constexpr std::string_view kValidProof = "fuzz:valid-proof";

/// The actor the node publishes (the first it spawns after its agent), and
/// the name it is published under.
inline constexpr std::uint64_t kPublishedActor = 2;
inline constexpr std::string_view kPublishedName = "fuzz";

/// What the node asks the peer once connected, in this order: a Lookup
/// (correlation id 1, answered by a LookupReply) and an ask of a Tree to
/// kRemoteActor (id 2, a Summary); it also monitors kRemoteActor.
inline constexpr std::uint64_t kLookupCorrelation = 1;
inline constexpr std::uint64_t kAskCorrelation = 2;
inline constexpr std::uint64_t kRemoteActor = 7;

inline constexpr auto kAskTimeout = std::chrono::seconds(1);

}  // namespace troupe::fuzz
