#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/exit_reason.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/proto/any_ref.hpp>
#include <troupe/remote/node_options.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/log.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/v1/cluster.pb.h>
#include <troupe/v1/envelope.pb.h>

namespace troupe::remote::detail {

class Connection;
class NodeAgent;
class Peer;

/// The state a Node shares with its peers, connections and gRPC
/// callbacks: who this node is, the peers it knows, the actors it
/// publishes, and the count of live gRPC streams (for shutdown).
/// Owned by the Node (shared_ptr, so that callbacks never outlive it);
/// thread-safe.
class NodeCore : public std::enable_shared_from_this<NodeCore> {
 public:
  NodeCore(ActorSystem& system, NodeOptions options);
  ~NodeCore();

  const NodeOptions& options() const noexcept { return options_; }
  const std::string& name() const noexcept { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  std::uint64_t incarnation() const noexcept { return incarnation_; }
  ActorSystem& system() noexcept { return system_; }

  // --- Peers -------------------------------------------------------------------
  /// The peer called `name`, made on first use.
  std::shared_ptr<Peer> peer(const std::string& name);
  /// The peer called `name` if known, else nullptr.
  std::shared_ptr<Peer> find_peer(const std::string& name) const;
  std::vector<std::string> connected_peers() const;
  std::vector<std::shared_ptr<Peer>> all_peers() const;
  /// Drops `peer` (the caller's hold) and its entry in the table if
  /// nothing else holds it: no ref to its actors, no dial, no connection.
  void forget_if_unused(std::shared_ptr<Peer> peer);

  // --- Handshakes ---------------------------------------------------------------
  /// A stream from `address` starts its handshake; false (refuse it) if
  /// NodeOptions::max_handshakes or max_handshakes_per_address are reached.
  bool begin_handshake(const std::string& address);
  void end_handshake(const std::string& address);

  // --- Published actors ----------------------------------------------------------
  void add_export(ActorId id, proto::AnyRef ref);
  /// Unpublishes a stopped actor; returns the peers that monitor it.
  std::vector<std::weak_ptr<Peer>> remove_export(ActorId id);
  proto::AnyRef find_export(ActorId id) const;
  /// `peer` monitors published actor `id` (once, however often it asks);
  /// false if it is not published (any more). Under the exports lock, so
  /// that a monitor that arrives before a stop is never missed.
  bool watch(ActorId id, const std::shared_ptr<Peer>& peer);
  /// Drops every monitor of `peer` (its connection was lost: it has been
  /// told its monitors are down).
  void unwatch(const Peer& peer);
  /// Starts the agent that watches published actors (once, by the Node).
  void start_agent();
  void stop_agent();
  troupe::detail::ActorCellBase* agent_cell() const noexcept;

  // --- Traffic -------------------------------------------------------------------
  /// Handles one envelope that came from `from` (on its reader task).
  void dispatch(const std::shared_ptr<Peer>& from, v1::Envelope& e);
  std::uint64_t next_correlation_id() noexcept {
    return correlation_.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  /// Unix time now in nanoseconds: the system clock's, or the Network's.
  std::int64_t unix_nanos() const;
  /// Unix nanoseconds `d` from now (an envelope's deadline).
  std::int64_t deadline_after(Duration d) const {
    return unix_nanos() + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }
  /// The Down a peer gets when our actor `actor` stops.
  v1::Down down_message(ActorId actor, const ExitReason& reason) const;
  /// One line about connections, to NodeOptions::log or the framework's
  /// log (troupe::log, component "remote <name>").
  void log(const std::string& line, LogLevel level = LogLevel::kInfo) const;
  /// Runs `task` on the node's runtime, on its own.
  void run_detached(Task<void> task);
  /// Queues an answer to one of `to`'s requests (a reply, a Down), in a
  /// task of its own that counts as a request in service until then.
  void answer(const std::shared_ptr<Peer>& to, v1::Envelope reply);
  /// Counts `e` as a dead letter refused with `why`.
  void dead_letter(const v1::Envelope& e, TellStatus why) noexcept;

  // --- gRPC streams (for shutdown) -------------------------------------------------
  /// Counts a new stream (until its OnDone: stream_closed) and keeps it
  /// for close_streams. False once shutdown began: cancel it at once.
  bool open_stream(const std::shared_ptr<Connection>& c);
  void stream_closed();
  bool shutting_down() const;
  /// Refuses new streams, cancels the live ones and waits until gRPC has
  /// called OnDone on every one.
  void close_streams();
  /// On a driven scheduler (a simulation, a TestExecutor), where blocking
  /// the only thread would wait forever: runs the node's ready tasks on
  /// this thread (the driving one) until `done()`, and returns true. On a
  /// runtime, returns false at once: the caller blocks its own way.
  bool drive_until(const std::function<bool()>& done);

 private:
  void control(const std::shared_ptr<Peer>& from, v1::Envelope& e);
  void serve_ask(const std::shared_ptr<Peer>& from, v1::Envelope& e);

  ActorSystem& system_;
  const NodeOptions options_;
  std::string name_;
  const std::uint64_t incarnation_;
  std::atomic<std::uint64_t> correlation_{0};

  mutable std::mutex peers_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Peer>> peers_;

  mutable std::shared_mutex exports_mutex_;
  struct Export {
    proto::AnyRef ref;
    std::vector<std::weak_ptr<Peer>> watchers;
  };
  std::unordered_map<ActorId, Export> exports_;
  ActorRef<NodeAgent> agent_;

  std::mutex handshakes_mutex_;
  std::size_t handshakes_ = 0;
  std::unordered_map<std::string, std::size_t> handshakes_by_address_;

  mutable std::mutex streams_mutex_;
  std::condition_variable streams_zero_;
  std::size_t streams_ = 0;
  bool shutting_down_ = false;
  std::vector<std::weak_ptr<Connection>> connections_;
};

}  // namespace troupe::remote::detail
