#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <troupe/cluster/detail/etcd_error.hpp>
#include <troupe/cluster/detail/key_value.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::cluster::detail {

class EtcdSession;

/// One change to a watched key. A put carries the key as it is after it
/// (value, lease, revisions; version 1 means it was created); a delete
/// carries the key and, as `kv.mod_revision`, the revision of the delete
/// (a lease's expiry is a delete too).
struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv{};
};

/// The events etcd sent in one response, in revision order (a transaction's
/// events share one revision), and the store's revision when it was sent.
struct WatchBatch {
  std::vector<WatchEvent> events{};
  std::int64_t revision = 0;
};

/// A watch on a key prefix, from a start revision on: one gRPC Watch
/// stream, read by the task that awaits next(). Made by
/// EtcdClient::watch_prefix once etcd has confirmed it.
///
/// Events come in order, none missed, none twice, while the watch lasts.
/// Any end is an error, never a silent stop: the history it starts from
/// was compacted (OUT_OF_RANGE), etcd cancelled it (CANCELLED, with etcd's
/// reason), the stream was lost (UNAVAILABLE: etcd stopped, the connection
/// broke or its keepalive ping went unanswered). The owner then reads
/// again (get_prefix) and watches from that read's revision + 1.
///
/// Owned by one task; move-only (a moved-from watch gives only errors).
/// Destroying it cancels the stream. A pending next() keeps what it needs
/// alive, and loses nothing when cancelled (an arm of a select that lost,
/// say): what it was reading is the next call's. One next() at a time.
class EtcdWatch {
 public:
  struct State;

  explicit EtcdWatch(std::shared_ptr<State> state) noexcept;
  EtcdWatch(EtcdWatch&&) noexcept;
  EtcdWatch& operator=(EtcdWatch&&) noexcept;
  ~EtcdWatch();

  /// The next batch of events (empty batches, such as etcd's progress
  /// notices, are skipped), or why the watch ended; after an error, every
  /// later call gives that error again.
  Task<EtcdResult<WatchBatch>> next();

  /// The revision the watch started from.
  std::int64_t start_revision() const noexcept;

  /// Opens a watch on every key that starts with `prefix`, from
  /// `start_revision` (0: from now), on the session's current endpoint,
  /// and waits (within the call timeout) for etcd to confirm it.
  static Task<EtcdResult<EtcdWatch>> open(std::shared_ptr<EtcdSession> session, std::string prefix,
                                          std::int64_t start_revision);

 private:
  std::shared_ptr<State> state_;
};

}  // namespace troupe::cluster::detail
