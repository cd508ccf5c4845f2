#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/actor/ask_result.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/atomic_waker.hpp>
#include <troupe/runtime/detail/block_pool.hpp>

namespace troupe::detail {

/// Where the reply to one ask goes: written once by the actor's side
/// (ReplySender), read once by the asker (AskFuture). One allocation per
/// ask (BlockPool memory), shared by the two, freed by whichever lets go last.
template <class R>
class ReplySlot : public PooledObject {
 public:
  static ReplySlot* make() { return new ReplySlot(); }

  // --- The actor's side (one writer) -----------------------------------------
  template <class... V>
  void set_value(V&&... v) noexcept {
    try {
      if constexpr (std::is_void_v<R>) {
        result_.emplace();
      } else {
        result_.emplace(R(std::forward<V>(v)...));
      }
    } catch (...) {  // moving the reply in threw: that is the ask's outcome
      result_.emplace(AskResult<R>::error(AskError::kFailed, std::current_exception()));
    }
    publish();
  }
  void set_error(AskError e, std::exception_ptr cause = nullptr) noexcept {
    result_.emplace(AskResult<R>::error(e, std::move(cause)));
    publish();
  }

  // --- The asker -------------------------------------------------------------
  template <class Cx>
  bool poll(const Cx& cx) noexcept {
    if (ready()) return true;
    waker_.register_waker(cx.waker());
    return ready();
  }
  bool ready() const noexcept { return ready_.load(std::memory_order_acquire); }
  AskResult<R> take() { return std::move(*result_); }

  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 private:
  ReplySlot() = default;
  void publish() noexcept {
    ready_.store(true, std::memory_order_release);
    waker_.wake();
  }

  std::atomic<bool> ready_{false};
  std::atomic<std::uint32_t> refs_{2};
  AtomicWaker waker_;
  std::optional<AskResult<R>> result_;
};

/// The actor's end of a ReplySlot: replies once. Dropped without a reply
/// (the message died with its actor, or its handler was cancelled), it
/// answers kDeadActor, so an asker never waits for a reply that cannot come.
/// Move-only; used by one thread.
template <class R>
class ReplySender {
 public:
  explicit ReplySender(ReplySlot<R>* slot) noexcept : slot_(slot) {}
  ReplySender(ReplySender&& o) noexcept : slot_(std::exchange(o.slot_, nullptr)) {}
  ReplySender& operator=(ReplySender&&) = delete;
  ~ReplySender() {
    if (slot_) fail(AskError::kDeadActor);
  }

  template <class... V>
  void reply(V&&... v) noexcept {
    if (auto* s = std::exchange(slot_, nullptr)) {
      s->set_value(std::forward<V>(v)...);
      s->release();
    }
  }
  void fail(AskError e, std::exception_ptr cause = nullptr) noexcept {
    if (auto* s = std::exchange(slot_, nullptr)) {
      s->set_error(e, std::move(cause));
      s->release();
    }
  }

 private:
  ReplySlot<R>* slot_;
};

}  // namespace troupe::detail
