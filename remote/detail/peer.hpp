#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <troupe/actor/actor_id.hpp>
#include <troupe/actor/ask_future.hpp>
#include <troupe/actor/detail/actor_cell.hpp>
#include <troupe/actor/detail/remote_target.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/remote/detail/node_core.hpp>
#include <troupe/remote/detail/pending_ask.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/v1/envelope.pb.h>

namespace troupe::remote::detail {

class Connection;

/// Another node, as this node sees it: whether a connection to it is up
/// and to which incarnation, the bounded outbox its envelopes wait in, the
/// asks waiting for its replies, and the local actors monitoring its actors.
///
/// Shared (shared_ptr) by the node and every ref to one of its
/// actors; outlives its connections: the outbox and tables stay, the
/// connection comes and goes. Thread-safe. At most one connection is its
/// holder at a time (dialing, accepting, or up), which is what keeps one
/// stream per pair of nodes and per-sender order across the wire.
class Peer : public std::enable_shared_from_this<Peer> {
 public:
  Peer(NodeCore& node, std::string name);
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  ~Peer();

  const std::string& name() const noexcept { return name_; }
  NodeCore& node() const noexcept { return node_; }
  /// The incarnation of the current (or last) connection; 0 before any.
  std::uint64_t incarnation() const;
  bool is_up() const;
  /// The peer as its messages' Origin says: its name and the incarnation
  /// of the connection that is up. For that connection's reader only (set
  /// when it attaches, before it reads).
  const v1::Origin& origin() const noexcept { return origin_; }

  // --- Senders (any thread) ---------------------------------------------------
  /// Queues `e` for the incarnation a ref was bound to. Refused (a dead
  /// letter): kUnreachable while not connected, kDeadActor for a stale
  /// incarnation, kFull when the outbox is full.
  TellStatus tell(v1::Envelope e, std::uint64_t incarnation);
  /// Like tell, waiting for room in a full outbox instead of refusing:
  /// null if it is decided at once (`*status` says how), else the send
  /// that waits, to poll.
  std::unique_ptr<troupe::detail::WireSend> send(v1::Envelope e, std::uint64_t incarnation,
                                                 TellStatus* status);
  /// Sends an ASK envelope (its correlation id and deadline set here);
  /// its REPLY or FAILURE completes `pending`, as does a refusal or the
  /// loss of the connection. Null if it is sent or failed at once, else the
  /// submission that waits for room in the full outbox.
  std::unique_ptr<troupe::detail::AskSubmit> ask(v1::Envelope e, std::uint64_t incarnation,
                                                 std::optional<Duration> timeout,
                                                 std::unique_ptr<PendingAsk> pending);
  /// The same, for a reply of type R (the node's own asks: lookups).
  template <class R>
  AskFuture<R> ask(v1::Envelope e, std::uint64_t incarnation, std::optional<Duration> timeout) {
    auto* slot = troupe::detail::ReplySlot<R>::make();
    return AskFuture<R>(
        slot, timeout,
        ask(std::move(e), incarnation, timeout, std::make_unique<PendingAskOf<R>>(slot)));
  }
  /// What a local actor watching a remote one gets when it stops: Down
  /// (a monitor), or Exit if it stopped abnormally (a link).
  enum class Watch { kDown, kExit };
  /// `watcher` gets Down (or Exit) when remote actor `actor` stops or the
  /// connection to its node is lost (at once if it is not up, or stale).
  void monitor(ActorId actor, std::uint64_t incarnation, troupe::detail::ActorCellBase& watcher,
               Watch how = Watch::kDown);

  // --- The node's own traffic ------------------------------------------------
  /// Queues a node-level envelope (replies, control) for the current
  /// connection, waiting for room; false if the peer is not up, or its
  /// connection is lost while it waits.
  Task<bool> post(v1::Envelope e);

  /// Held while this node works on one of the peer's requests (an ask to a
  /// published actor or to the node) until its answer is queued: counts
  /// it against NodeOptions::max_served_per_peer. Keeps the peer alive.
  class Service {
   public:
    explicit Service(std::shared_ptr<Peer> peer) noexcept;
    Service(Service&& o) noexcept = default;
    Service& operator=(Service&&) = delete;
    ~Service();
    Peer& peer() const noexcept { return *peer_; }

   private:
    std::shared_ptr<Peer> peer_;
  };
  Service serve() { return Service(shared_from_this()); }
  /// Returns once fewer requests than the cap are in service (true), or
  /// when `lost` yields or closes first (false). For the reader, between
  /// frames: a peer that sends requests faster than they are answered
  /// stops being read.
  Task<bool> room_to_serve(MpscReceiver<bool>& lost);
  /// False if room_to_serve would wait now.
  bool has_room_to_serve() const noexcept {
    return serving_.load(std::memory_order_relaxed) < node_.options().max_served_per_peer;
  }
  /// A REPLY or FAILURE envelope for one of our asks.
  void complete(const v1::Envelope& e);
  /// A Down from the other node for an actor we monitor there.
  void remote_down(ActorId actor, const ExitReason& reason);

  // --- Connections -----------------------------------------------------------
  enum class Admit { kGranted, kDuplicate, kRetry };
  /// A dial to this peer starts; false if another connection holds it.
  bool begin_dial(Connection& c);
  /// An incoming connection from this peer proved the secret (see peer.cpp
  /// for how simultaneous dials are settled).
  Admit admit(Connection& c, std::uint64_t incarnation);
  /// The holder finished its handshake with `incarnation`: the peer is up.
  /// False if `c` is no longer the holder (it lost to another).
  bool attach(Connection& c, std::uint64_t incarnation);
  /// `c` is done. If it was up: pending asks fail, the outbox becomes dead
  /// letters, monitors get Down with `why`.
  void release(Connection& c, const std::string& why);
  /// The outbox's receiving end, for the holder's writer only.
  MpscReceiver<v1::Envelope>& outbox() noexcept { return outbox_rx_; }
  /// Dead-letters what the outbox holds (node shutdown).
  void drain_outbox();
  /// `e` was not sent: counted as a dead letter, and its ask failed.
  void refuse(const v1::Envelope& e, TellStatus why);
  /// Removes (and returns) the pending ask `id`, if it is still there.
  std::unique_ptr<PendingAsk> take_ask(std::uint64_t id);

  enum class Wait { kUp, kFree };
  /// A receiver that gets a value once the peer is up (kUp) or held by no
  /// connection (kFree), at once if it is; false if the node shuts down.
  MpscReceiver<bool> when(Wait what);
  /// Wakes every waiter with false and refuses new dials (node shutdown).
  void close();
  /// Ends the connection that holds the peer, if any, as a lost one
  /// (Down with kNodeDown, pending asks fail): the node left the cluster.
  void drop(const std::string& why);
  std::uint64_t local_incarnation() const noexcept;

  // --- Metrics (Node::peer_stats) ----------------------------------------------
  /// Envelopes written to it and read from it, over every connection.
  void count_sent(std::uint64_t n) noexcept { sent_.fetch_add(n, std::memory_order_relaxed); }
  void count_received(std::uint64_t n) noexcept {
    received_.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t sent() const noexcept { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t received() const noexcept { return received_.load(std::memory_order_relaxed); }
  /// Envelopes waiting in the outbox now (a snapshot).
  std::size_t outbox_depth() const noexcept { return outbox_rx_.size(); }

 private:
  enum class State { kNone, kDialing, kAccepting, kUp };
  void notify(Wait what);  // under mutex_ (exclusive)
  void register_ask(std::uint64_t id, std::unique_ptr<PendingAsk> ask);
  friend class OutboxSubmit;
  friend class OutboxSend;
  // Under mutex_ (shared): the outcome of a send to `incarnation` now.
  std::optional<TellStatus> refusal(std::uint64_t incarnation) const;

  NodeCore& node_;
  const std::string name_;

  // Shared by senders, exclusive for state changes: a sender that saw the
  // peer up has its envelope in the outbox before a release drains it.
  mutable std::shared_mutex mutex_;
  State state_ = State::kNone;
  Connection* holder_ = nullptr;
  std::uint64_t incarnation_ = 0;
  v1::Origin origin_;
  MpscSender<v1::Envelope> outbox_tx_;
  MpscReceiver<v1::Envelope> outbox_rx_;
  std::vector<std::pair<Wait, MpscSender<bool>>> waiters_;
  bool closed_ = false;

  // Requests in service, and the reader waiting for one to end (Dekker:
  // each side writes its flag, then reads the other's; seq_cst).
  std::atomic<std::size_t> serving_{0};
  std::atomic<bool> reader_waits_{false};
  MpscSender<bool> room_tx_;
  MpscReceiver<bool> room_rx_;

  std::mutex tables_mutex_;  // guards the two tables
  std::unordered_map<std::uint64_t, std::unique_ptr<PendingAsk>> asks_;
  struct Watcher {
    troupe::detail::CellPtr cell;
    Watch how;
    /// Tells the watcher that `actor` (of incarnation `node`) stopped.
    void notify(ActorId actor, std::uint64_t node, const ExitReason& reason) const;
  };
  // Remote actor id -> local watchers.
  std::unordered_map<ActorId, std::vector<Watcher>> watchers_;

  // Relaxed counts, each written by one connection's writer or reader at a
  // time, once per frame.
  alignas(64) std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> received_{0};
};

}  // namespace troupe::remote::detail
