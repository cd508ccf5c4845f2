#pragma once

#include <chrono>

#include <troupe/cluster/detail/key_value.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe::cluster::detail {

/// A lease etcd granted: its id, the TTL etcd chose (never below its
/// minimum, which depends on its election timeout: a TTL of 1 s may come
/// back as 2 s), and when the grant was sent. etcd counts the TTL from when
/// it handled the grant, which is after `sent_at`: `sent_at + ttl` is an
/// instant before which the lease cannot have expired. A plain value.
struct LeaseGrant {
  LeaseId id = 0;
  std::chrono::seconds ttl{0};
  Instant sent_at{};
};

}  // namespace troupe::cluster::detail
