#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <troupe/channels/mpsc.hpp>
#include <troupe/cluster/detail/lease_grant.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/join_handle.hpp>

namespace troupe::cluster::detail {

class EtcdSession;

/// How a LeaseKeeper renews and when it gives up. Zero picks the default.
struct LeaseKeeperOptions {
  /// Between keep-alives; default TTL / 3.
  Duration interval{};
  /// How long before the lease could expire the keeper reports it lost:
  /// the owner's time to stop what it does under the lease, plus timer
  /// slack. Default TTL / 5, at least 100 ms.
  Duration margin{};
};

/// What the keeper tells its owner.
enum class LeaseStatus {
  kAlive,    // etcd confirmed a renewal: the first confirmation, once
  kLost,     // no renewal confirmed in time: the lease may expire any moment
  kExpired,  // etcd says the lease is gone (TTL <= 0: expired or revoked)
};

/// One report of a LeaseKeeper. A plain value.
struct LeaseEvent {
  LeaseStatus status = LeaseStatus::kAlive;
  /// kAlive: the lease is sure to live until then (later renewals push it
  /// on; see LeaseKeeper::valid_until). kLost: the deadline that passed.
  Instant valid_until{};
  /// When the last renewal etcd confirmed was sent (the grant's sending
  /// if none was): etcd counts the TTL from a moment after it.
  Instant renewed_at{};
  /// Why, for kLost and kExpired.
  std::string detail{};
};

/// Keeps one lease alive: a task on the runtime that created it runs etcd's
/// LeaseKeepAlive stream, sends a keep-alive every `interval`, and reopens
/// the stream (on the next endpoint if need be) when it breaks.
///
/// Its promise is about time: etcd renews a lease for TTL from when it
/// handles a keep-alive, which is after the keep-alive was sent, so the
/// lease lives at least until (send time of the last confirmed keep-alive)
/// + TTL. The keeper reports kLost `margin` before that instant if no newer
/// keep-alive was confirmed by then, so the owner can stop the work it
/// holds under the lease before another node could take it over. Lost
/// and expired are final: the keeper stops, and the owner starts over with
/// a new lease (revoking the old one is optional; it expires by itself).
///
/// Owned by one owner; move-only. Events come on `events()` (a stream: the
/// first confirmation, then at most one of lost or expired, then the end);
/// `valid_until()` may be read from any thread. Destroying the keeper, or
/// stop(), ends the keep-alives without revoking the lease.
class LeaseKeeper {
 public:
  /// Starts keeping `grant` alive, on the runtime of the calling task
  /// (throws std::logic_error outside one, as spawn does). Use
  /// EtcdClient::keep_alive.
  LeaseKeeper(std::shared_ptr<EtcdSession> session, LeaseGrant grant,
              LeaseKeeperOptions options = {});
  LeaseKeeper(LeaseKeeper&&) noexcept = default;
  LeaseKeeper& operator=(LeaseKeeper&&) noexcept;
  ~LeaseKeeper();

  LeaseId id() const noexcept { return grant_.id; }
  std::chrono::seconds ttl() const noexcept { return grant_.ttl; }
  /// The keeper's reports, in order; ends after the last one.
  MpscReceiver<LeaseEvent>& events() noexcept { return events_; }
  /// Until when the lease is sure to live, as far as the keeper knows; the
  /// distant past once lost, expired or stopped. Thread-safe.
  Instant valid_until() const noexcept;
  /// Stops renewing (the lease then expires after its TTL; revoke it to
  /// end it at once). valid_until() is in the past from then on.
  void stop() noexcept;

  /// The state shared with the keeper's task.
  struct Shared {
    std::atomic<Clock::rep> valid_until{0};
    std::atomic<bool> stopped{false};
  };

 private:
  LeaseGrant grant_;
  std::shared_ptr<Shared> shared_;
  MpscReceiver<LeaseEvent> events_;
  MpscSender<bool> stop_;  // closed to stop the task
  JoinHandle<void> task_;
};

}  // namespace troupe::cluster::detail
