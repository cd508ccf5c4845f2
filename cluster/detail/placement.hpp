#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace troupe::cluster::detail {

/// A 64-bit hash that every node computes alike, whatever its build
/// (std::hash makes no such promise): FNV-1a over the bytes, then a
/// finalizer that spreads close inputs apart.
constexpr std::uint64_t stable_hash(std::string_view bytes,
                                    std::uint64_t seed = 0xcbf29ce484222325ull) noexcept {
  std::uint64_t h = seed;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

/// Rendezvous (highest random weight) placement: the score of `node` for
/// virtual actor `identity` of `kind`. The node with the highest score
/// among those that host the kind is its home. When a node leaves, only
/// the identities it was home to move (each to its second choice); when
/// one joins, only those it now wins move to it.
inline std::uint64_t placement_score(std::string_view node, std::string_view kind,
                                     std::string_view identity) noexcept {
  std::uint64_t h = stable_hash(node);
  h = stable_hash(kind, h);
  return stable_hash(identity, h ^ 0x9e3779b97f4a7c15ull);
}

/// Which of a node's activators handles `identity` of `kind`.
inline std::size_t activator_shard(std::string_view kind, std::string_view identity,
                                   std::size_t shards) noexcept {
  return static_cast<std::size_t>(stable_hash(identity, stable_hash(kind)) % shards);
}

}  // namespace troupe::cluster::detail
