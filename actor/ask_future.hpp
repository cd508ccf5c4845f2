#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/detail/pending_ask.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/metrics_counters.hpp>
#include <troupe/runtime/sleep.hpp>

namespace troupe {

namespace detail {
/// The sending half of an ask that could not be queued at once (the way to
/// the actor was full): polled by the AskFuture until the message is in,
/// before the reply is waited for. It fails the reply slot itself if the
/// message cannot be sent. Owned by the AskFuture.
class AskSubmit {
 public:
  virtual ~AskSubmit() = default;
  /// True once the message is queued (or the ask has failed).
  virtual bool poll(Context& cx) noexcept = 0;
};
}  // namespace detail

/// The Future behind `co_await ref.ask(m)` (or `ref.ask(m, timeout)`): ready
/// with an AskResult once the reply comes, the ask fails (dead actor, full
/// mailbox, handler threw), or the timeout passes (counted from the first
/// poll).
///
/// The message was sent when ask() returned, unless the way to the actor
/// was full (a bounded mailbox with Overflow::kBackpressure, or the outbox
/// to a remote node): then the future sends it when polled, waiting for
/// room; if the timeout passes first, it is never sent. Dropping the
/// future forgets the reply (the handler still runs). Owns its share of the
/// reply slot.
/// Move-only before it is polled; polled by one task.
template <class R>
class [[nodiscard]] AskFuture {
 public:
  /// `target`: where it goes, for the live dump (ActorSystem::dump), which
  /// lists the ask while an actor waits on it.
  explicit AskFuture(detail::ReplySlot<R>* slot, std::optional<Duration> timeout = std::nullopt,
                     std::unique_ptr<detail::AskSubmit> submit = nullptr,
                     const detail::AskTarget& target = {})
      : slot_(slot), submit_(std::move(submit)), pending_(target) {
    if (timeout) deadline_.emplace(sleep_for(*timeout));
  }
  AskFuture(AskFuture&& o) noexcept
      : slot_(std::exchange(o.slot_, nullptr)),
        submit_(std::move(o.submit_)),
        deadline_(std::move(o.deadline_)),
        pending_(std::move(o.pending_)),
        timer_(o.timer_) {}
  AskFuture& operator=(AskFuture&&) = delete;
  ~AskFuture() {
    if (slot_) slot_->release();
  }

  bool poll(Context& cx) noexcept {
    pending_.start(cx, deadline_ ? &*deadline_ : nullptr);
    timer_.start();  // troupe_ask_duration_seconds
    // The message first (when it had to wait for room), then the reply;
    // the timeout counts from the first poll either way.
    if (submit_ && submit_->poll(cx)) submit_.reset();
    if (!submit_ && slot_->poll(cx)) return ready();
    if (deadline_ && deadline_->poll(cx)) {
      timed_out_ = true;
      return ready();
    }
    return false;
  }
  AskResult<R> await_resume() {
    if (timed_out_ && !slot_->ready()) return AskResult<R>::error(AskError::kTimeout);
    return slot_->take();
  }

 private:
  bool ready() noexcept {
    pending_.finish();
    timer_.finish();
    return true;
  }

  detail::ReplySlot<R>* slot_;
  std::unique_ptr<detail::AskSubmit> submit_;
  std::optional<Sleep> deadline_;
  detail::PendingAsk pending_;  // the ask as the live dump sees it
  detail::AskTimer timer_;
  bool timed_out_ = false;
};

}  // namespace troupe
