#pragma once

// Internal to the cluster module's sources: includes the generated etcd
// stubs, which are not installed.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <etcd/etcdserverpb/rpc.grpc.pb.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <troupe/cluster/detail/call_tracker.hpp>
#include <troupe/cluster/detail/etcd_error.hpp>
#include <troupe/cluster/detail/etcd_options.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::cluster::detail {

/// gRPC's deadlines are on the system clock.
using CallDeadline = std::chrono::system_clock::time_point;

/// What an EtcdClient and everything it made (lease keepers, watches)
/// share: one gRPC channel and set of stubs per endpoint, which endpoint
/// is in use, and the auth token. Held by shared_ptr by each of them and by
/// their calls in flight, so it lives as long as any of them needs it.
/// Thread-safe: stubs and channels are gRPC's (thread-safe), the endpoint
/// index is atomic, the token is under a mutex.
///
/// gRPC's threads never hold it, so it is never destroyed on one; its
/// destructor waits for the calls still finishing (cancelled by their
/// owners, so briefly) before it destroys the channels (see CallTracker).
class EtcdSession {
 public:
  /// One etcd member's address and its gRPC channel and stubs.
  struct Endpoint {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;
    std::unique_ptr<etcdserverpb::Auth::Stub> auth;
  };

  /// The auth token and its generation: 0 until the first authentication
  /// (whether it gave a token or found auth disabled), then one more at each
  /// renewal, so that tasks which all saw the same token fail renew it once.
  struct Token {
    std::string value;
    std::uint64_t generation = 0;
  };

  /// Reads the TLS files and makes the channels (they connect lazily, at
  /// the first call). Fails on no endpoints or an unreadable TLS file.
  static EtcdResult<std::shared_ptr<EtcdSession>> create(EtcdOptions options);
  EtcdSession(const EtcdSession&) = delete;
  EtcdSession& operator=(const EtcdSession&) = delete;
  ~EtcdSession();

  /// A place in the count of calls, for a call's state (see CallTracker).
  CallTracker::Ticket track() const { return CallTracker::Ticket(calls_); }

  const EtcdOptions& options() const noexcept { return options_; }
  std::size_t endpoint_count() const noexcept { return endpoints_.size(); }
  /// The endpoint calls go to now.
  std::size_t current() const noexcept { return current_.load(std::memory_order_acquire); }
  Endpoint& endpoint(std::size_t i) noexcept { return endpoints_[i]; }
  /// Endpoint `i` failed a call: the next calls go to the one after it
  /// (unless another failure already moved on).
  void failed(std::size_t i) noexcept;

  CallDeadline deadline() const { return std::chrono::system_clock::now() + options_.call_timeout; }
  /// The client logs in (a user is set).
  bool authenticates() const noexcept { return !options_.user.empty(); }
  Token token() const;
  /// Gets a new token, unless another task already replaced the one of
  /// generation `stale`. Tries each endpoint at most once before `deadline`.
  static Task<EtcdResult<void>> authenticate(std::shared_ptr<EtcdSession> self, std::uint64_t stale,
                                             CallDeadline deadline);

 private:
  explicit EtcdSession(EtcdOptions options) : options_(std::move(options)) {}

  const EtcdOptions options_;
  std::shared_ptr<CallTracker> calls_ = std::make_shared<CallTracker>();
  std::vector<Endpoint> endpoints_;
  std::atomic<std::size_t> current_{0};
  mutable std::mutex token_mutex_;
  Token token_;
};

/// etcd says the call's token is missing, expired or from an older auth
/// store: authenticating again may cure it.
bool is_auth_failure(const EtcdError& error);

/// gRPC failed the call before it reached etcd (no connection could be
/// made), so trying it on another endpoint cannot apply it twice.
bool never_sent(const EtcdError& error);

}  // namespace troupe::cluster::detail
