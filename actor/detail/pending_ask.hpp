#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>

#include <troupe/actor/actor_id.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/sleep.hpp>

namespace troupe::detail {

/// TaskHeader::tag of every actor's cell (set by ActorCellBase): how an
/// ask's future tells, from its Context, that an actor is asking.
inline constexpr std::uint8_t kActorCellTag = 1;

/// Where an ask goes, as ActorRef::ask tells its future (for the live dump).
struct AskTarget {
  ActorId id = 0;
  const std::type_info* type = nullptr;  // the message's type
  std::string_view node;                 // the actor's node if remote (copied)
  std::optional<Duration> timeout;
};

class PendingAsks;

/// One pending ask made by an actor on its own task (in a handler or
/// on_start): an edge of the wait-for graph that ActorSystem::dump shows.
/// It lives inside the ask's future (AskFuture), which links it into the
/// asking actor's PendingAsks at its first poll and unlinks it when it is
/// ready or destroyed. An ask made by any other task is never linked.
///
/// No lock: it is only touched while the asking actor's task is held, by
/// the worker running it or by a dump (TaskHeader::try_hold), one at a
/// time. Not copyable; moved only before the first poll (as its future).
class PendingAsk {
 public:
  PendingAsk() = default;
  explicit PendingAsk(const AskTarget& t)
      : to_(t.id), type_(t.type), timeout_(t.timeout.value_or(kNoTimeout)) {
    if (!t.node.empty()) node_ = std::make_unique<std::string>(t.node);
  }
  PendingAsk(PendingAsk&& o) noexcept;
  PendingAsk& operator=(PendingAsk&&) = delete;
  ~PendingAsk() { finish(); }

  /// The future's poll, before anything else: the first one links the ask
  /// if `cx` is an actor's task. `deadline`: the ask's timeout timer.
  void start(Context& cx, const Sleep* deadline) noexcept {
    if (started_) return;
    started_ = true;
    if (type_ != nullptr && cx.task().tag == kActorCellTag) link(cx, deadline);
  }
  /// The ask is over (answered, failed, timed out or dropped).
  void finish() noexcept {
    if (list_ != nullptr) unlink();
  }

  // --- For the dump, which holds the asking actor ----------------------------
  ActorId to() const noexcept { return to_; }
  /// The asked actor's node; empty if it lives here.
  std::string node() const { return node_ ? *node_ : std::string(); }
  const std::type_info& type() const noexcept { return *type_; }
  /// When the ask began, and whether that is exact (an ask with a timeout:
  /// its deadline less the timeout) or the first dump to see it (`now`).
  std::pair<Instant, bool> since(Instant now) noexcept;

 private:
  friend class PendingAsks;
  void link(Context& cx, const Sleep* deadline) noexcept;
  void unlink() noexcept;

  static constexpr Duration kNoTimeout = Duration::min();
  static constexpr Instant kUnseen = Instant::min();

  // Small: it is part of every ask's future.
  PendingAsk* prev_ = nullptr;
  PendingAsk* next_ = nullptr;
  PendingAsks* list_ = nullptr;  // the asking actor's, while linked; else null
  ActorId to_ = 0;
  const std::type_info* type_ = nullptr;  // null: not tracked (no AskTarget)
  std::unique_ptr<std::string> node_;     // the asked actor's node, if remote
  Duration timeout_ = kNoTimeout;
  const Sleep* deadline_ = nullptr;  // the ask's timeout timer, once polled
  Instant first_seen_ = kUnseen;     // by a dump, for an ask without a timeout
  bool started_ = false;
};

/// The pending asks of one actor (its CellExtras): an intrusive list of
/// PendingAsk, touched under the same rule (the actor's task held).
class PendingAsks {
 public:
  PendingAsks() = default;
  PendingAsks(const PendingAsks&) = delete;
  PendingAsks& operator=(const PendingAsks&) = delete;

  void push(PendingAsk& a) noexcept {
    a.list_ = this;
    a.prev_ = nullptr;
    a.next_ = head_;
    if (head_ != nullptr) head_->prev_ = &a;
    head_ = &a;
  }
  void remove(PendingAsk& a) noexcept {
    (a.prev_ != nullptr ? a.prev_->next_ : head_) = a.next_;
    if (a.next_ != nullptr) a.next_->prev_ = a.prev_;
    a.prev_ = a.next_ = nullptr;
    a.list_ = nullptr;
  }
  template <class F>
  void for_each(F&& f) {
    for (PendingAsk* p = head_; p != nullptr; p = p->next_) f(*p);
  }

 private:
  friend class PendingAsk;
  PendingAsk* head_ = nullptr;
};

inline void PendingAsk::unlink() noexcept { list_->remove(*this); }

inline PendingAsk::PendingAsk(PendingAsk&& o) noexcept
    : to_(o.to_),
      type_(o.type_),
      node_(std::move(o.node_)),
      timeout_(o.timeout_),
      deadline_(o.deadline_),
      first_seen_(o.first_seen_),
      started_(o.started_) {
  // Moved once polled (which its future forbids): take its place.
  if (PendingAsks* list = o.list_) {
    list->remove(o);
    list->push(*this);
    deadline_ = nullptr;  // it was o's future's
  }
}

}  // namespace troupe::detail
