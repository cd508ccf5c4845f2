#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <troupe/cluster/detail/etcd_error.hpp>
#include <troupe/cluster/detail/etcd_options.hpp>
#include <troupe/cluster/detail/etcd_watch.hpp>
#include <troupe/cluster/detail/key_value.hpp>
#include <troupe/cluster/detail/lease_grant.hpp>
#include <troupe/cluster/detail/lease_keeper.hpp>
#include <troupe/cluster/detail/txn_result.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::cluster::detail {

class EtcdSession;

/// A client of etcd's v3 API over gRPC: keys, compare-and-set
/// transactions, leases (grant, revoke, keep-alive) and watches.
///
/// Every call is a Task on the runtime of the task that awaits it (gRPC's
/// callbacks only wake it) and ends within `call_timeout` with a value or
/// an EtcdError, never an exception or a hang. Calls go to one endpoint;
/// one that is unreachable or too slow sends later calls to the next. A
/// read (and a write gRPC could not deliver at all) is sent again to the
/// next endpoint within the same deadline; other writes are not, since
/// etcd may have applied them.
///
/// A cheap handle: copies share one set of connections and one login.
/// Thread-safe; the calls, keepers and watches it made keep the
/// connections alive as long as they need them.
class EtcdClient {
 public:
  /// Sets the client up (no I/O: connections open at the first call).
  /// Fails on no endpoints or an unreadable TLS file.
  static EtcdResult<EtcdClient> create(EtcdOptions options);

  const EtcdOptions& options() const noexcept;

  // --- Keys -------------------------------------------------------------------
  /// Sets `key` to `value`, attached to `lease` (0: none). Gives the revision of the write.
  Task<EtcdResult<std::int64_t>> put(std::string key, std::string value, LeaseId lease = 0) const;
  /// The key, or nothing if it does not exist.
  Task<EtcdResult<std::optional<KeyValue>>> get(std::string key) const;
  /// Every key starting with `prefix`, in key order, and the revision read at.
  Task<EtcdResult<RangeResult>> get_prefix(std::string prefix) const;
  /// Deletes `key`; gives how many keys were deleted (0 or 1).
  Task<EtcdResult<std::int64_t>> erase(std::string key) const;
  /// Deletes every key starting with `prefix`; gives how many.
  Task<EtcdResult<std::int64_t>> erase_prefix(std::string prefix) const;

  // --- Transactions -----------------------------------------------------------
  /// Creates `key` only if it does not exist (its create_revision is 0), in
  /// one transaction: of many callers, exactly one gets `created`, and the
  /// others get the winner's key. If the first answer was lost and the
  /// call sent again, `created` may be false with our own value in
  /// `current`: values that name their writer tell the two apart.
  Task<EtcdResult<CreateResult>> create_if_absent(std::string key, std::string value,
                                                  LeaseId lease = 0) const;
  /// Sets `key` only if its mod_revision is `expected_mod_revision` (0: the
  /// key does not exist).
  Task<EtcdResult<CasResult>> put_if(std::string key, std::string value,
                                     std::int64_t expected_mod_revision, LeaseId lease = 0) const;
  /// Deletes `key` only if its mod_revision is `mod_revision`.
  Task<EtcdResult<CasResult>> erase_if(std::string key, std::int64_t mod_revision) const;

  // --- Leases -----------------------------------------------------------------
  /// A new lease of about `ttl` (etcd may raise it to its minimum).
  Task<EtcdResult<LeaseGrant>> grant(std::chrono::seconds ttl) const;
  /// Ends the lease now: etcd deletes its keys.
  Task<EtcdResult<void>> revoke(LeaseId lease) const;
  /// Starts keeping `lease` alive, on the calling task's runtime (see
  /// LeaseKeeper); throws std::logic_error outside a runtime.
  LeaseKeeper keep_alive(const LeaseGrant& lease, LeaseKeeperOptions options = {}) const;

  // --- Watches ----------------------------------------------------------------
  /// Watches every key starting with `prefix` from `start_revision` (a
  /// get_prefix's revision + 1 continues right after that read; 0: from
  /// now), once etcd confirmed it (within `call_timeout`).
  Task<EtcdResult<EtcdWatch>> watch_prefix(std::string prefix, std::int64_t start_revision) const;

 private:
  explicit EtcdClient(std::shared_ptr<EtcdSession> session) noexcept
      : session_(std::move(session)) {}

  std::shared_ptr<EtcdSession> session_;
};

}  // namespace troupe::cluster::detail
