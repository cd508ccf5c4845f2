#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <troupe/actor/detail/mailbox_send.hpp>
#include <troupe/actor/detail/remote_target.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/budget.hpp>

namespace troupe::detail {

/// The Future behind `co_await ref.send(m)`: a MailboxSend for a local
/// actor, a WireSend (or its outcome, when it was decided at once) for a
/// remote one. Owns the message until it is sent; dropped unsent, the
/// message goes with it. Polled by one task.
class [[nodiscard]] SendToActor {
 public:
  explicit SendToActor(MailboxSend local) noexcept : local_(std::move(local)) {}
  SendToActor(std::unique_ptr<WireSend> remote, TellStatus status) noexcept
      : remote_(std::move(remote)), status_(status) {}

  bool poll(Context& cx) noexcept {
    // Decided when send() was called (nearly always): inlined where the
    // send is awaited; the waiting kinds are out of line.
    if (!local_ && !remote_) [[likely]]
      return poll_budget(cx);
    return poll_waiting(cx);
  }
  TellStatus await_resume() const noexcept { return local_ ? local_->await_resume() : status_; }

 private:
  [[gnu::noinline]] bool poll_waiting(Context& cx) noexcept {
    if (local_) return local_->poll(cx);
    if (!remote_->poll(cx)) return false;
    status_ = remote_->status();
    remote_.reset();
    return true;
  }

  std::optional<MailboxSend> local_;
  std::unique_ptr<WireSend> remote_;
  TellStatus status_ = TellStatus::kQueued;
};

}  // namespace troupe::detail
