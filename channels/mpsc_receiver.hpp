#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/detail/mpsc_core.hpp>
#include <troupe/channels/detail/parker_context.hpp>
#include <troupe/channels/receiver.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/budget.hpp>
#include <troupe/runtime/detail/thread_parker.hpp>

namespace troupe {

/// The one receiving side of an ordered channel made by
/// `channel::mpsc::bounded` or `channel::mpsc::unbounded`: what an actor's
/// mailbox is.
///
/// Items sent by one sender arrive in the order they were sent, whichever
/// threads the sends ran on. It is a stream (AsyncStream) of those items,
/// ending once the channel is closed and drained; `recv()` is `next()`.
///
/// Move-only: there is exactly one consumer, so receiving needs no waiter
/// list (the channel keeps one waker slot for it). Used by one task or
/// thread at a time. Destroying it closes the channel and destroys the
/// queued items; later sends fail and hand their value back. A moved-from
/// or default-constructed MpscReceiver is empty: only assignment,
/// destruction and `operator bool` are allowed on it.
template <class T>
class MpscReceiver : public StreamBase<MpscReceiver<T>> {
 public:
  using value_type = T;

  MpscReceiver() noexcept = default;
  /// Adopts the receiver reference on `core` (used by the channel factories).
  explicit MpscReceiver(detail::MpscCore<T>* core) noexcept : core_(core) {}
  MpscReceiver(MpscReceiver&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  MpscReceiver& operator=(MpscReceiver other) noexcept {
    std::swap(core_, other.core_);
    return *this;
  }
  ~MpscReceiver() {
    if (core_) core_->drop_receiver();
  }

  /// `co_await recv()`: the next value, waiting while the channel is empty;
  /// std::nullopt once it is closed and drained. Destroying a pending recv
  /// takes nothing out of the channel.
  auto recv() noexcept { return this->next(); }

  /// The stream protocol (see channels/async_stream.hpp). Rethrows what
  /// moving T out of the channel threw (that item is then lost).
  StreamPoll<T> poll_next(Context& cx) {
    if (!detail::poll_budget(cx)) return StreamPoll<T>::pending();
    std::optional<T> v;
    switch (core_->poll_recv(v, &cx)) {
      case detail::ChannelOutcome::kDone:
        return StreamPoll<T>::item(std::move(*v));
      case detail::ChannelOutcome::kWouldBlock:
        return StreamPoll<T>::pending();
      case detail::ChannelOutcome::kClosed:
        break;
    }
    return StreamPoll<T>::end();
  }

  /// A value if one is ready right now; never waits.
  RecvResult<T> try_recv() {
    std::optional<T> v;
    switch (core_->poll_recv(v, static_cast<const Context*>(nullptr))) {
      case detail::ChannelOutcome::kDone:
        return RecvResult<T>::received(std::move(*v));
      case detail::ChannelOutcome::kWouldBlock:
        return RecvResult<T>::empty();
      case detail::ChannelOutcome::kClosed:
        break;
    }
    return RecvResult<T>::closed();
  }

  /// Like `co_await recv()`, blocking the calling thread while the channel
  /// is empty. For plain threads only: throws std::logic_error on a
  /// runtime's worker thread, where blocking would stall other tasks.
  std::optional<T> recv_blocking() {
    std::optional<T> v;
    detail::park_until("MpscReceiver::recv_blocking", [&](const auto& cx) {
      return core_->poll_recv(v, &cx) != detail::ChannelOutcome::kWouldBlock;
    });
    return v;  // empty when closed and drained
  }

  /// Closes the channel: later sends fail and hand their value back; the
  /// items sent before are still received, then the end. Idempotent.
  void close() const noexcept { core_->close(); }
  bool is_closed() const noexcept { return core_->is_closed(); }
  /// Items waiting in the channel right now (a snapshot).
  std::size_t size() const noexcept { return core_->size(); }
  /// The channel's capacity (the largest std::size_t when unbounded).
  std::size_t capacity() const noexcept { return core_->capacity(); }

  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  detail::MpscCore<T>* core_ = nullptr;
};

}  // namespace troupe
