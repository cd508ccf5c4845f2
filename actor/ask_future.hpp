#pragma once

#include <optional>
#include <utility>

#include <troupe/actor/ask_result.hpp>
#include <troupe/actor/detail/reply_slot.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/sleep.hpp>

namespace troupe {

/// The Future behind `co_await ref.ask(m)` (or `ref.ask(m, timeout)`): ready
/// with an AskResult once the reply comes, the ask fails (dead actor, full
/// mailbox, handler threw), or the timeout passes (counted from the first
/// poll).
///
/// The message was sent when ask() returned; dropping the future forgets
/// the reply (the handler still runs). Owns its share of the reply slot.
/// Move-only before it is polled; polled by one task.
template <class R>
class [[nodiscard]] AskFuture {
 public:
  explicit AskFuture(detail::ReplySlot<R>* slot, std::optional<Duration> timeout = std::nullopt)
      : slot_(slot) {
    if (timeout) deadline_.emplace(sleep_for(*timeout));
  }
  AskFuture(AskFuture&& o) noexcept
      : slot_(std::exchange(o.slot_, nullptr)), deadline_(std::move(o.deadline_)) {}
  AskFuture& operator=(AskFuture&&) = delete;
  ~AskFuture() {
    if (slot_) slot_->release();
  }

  bool poll(Context& cx) noexcept {
    if (slot_->poll(cx)) return true;
    if (deadline_ && deadline_->poll(cx)) {
      timed_out_ = true;
      return true;
    }
    return false;
  }
  AskResult<R> await_resume() {
    if (timed_out_ && !slot_->ready()) return AskResult<R>::error(AskError::kTimeout);
    return slot_->take();
  }

 private:
  detail::ReplySlot<R>* slot_;
  std::optional<Sleep> deadline_;
  bool timed_out_ = false;
};

}  // namespace troupe
