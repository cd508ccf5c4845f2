#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/detail/channel_core.hpp>
#include <troupe/channels/detail/parker_context.hpp>
#include <troupe/channels/detail/waiter_list.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/budget.hpp>
#include <troupe/runtime/detail/thread_parker.hpp>

namespace troupe {

/// How a try_recv ended.
enum class RecvStatus {
  kReceived,  // here is a value
  kEmpty,     // nothing right now; more may come
  kClosed,    // closed and drained: nothing will ever come
};

/// The result of a try_recv: a value, or why there is none.
///
/// A plain value owned by the caller; not thread-safe.
template <class T>
class [[nodiscard]] RecvResult {
 public:
  static RecvResult received(T value) {
    return RecvResult(RecvStatus::kReceived, std::move(value));
  }
  static RecvResult empty() noexcept { return RecvResult(RecvStatus::kEmpty); }
  static RecvResult closed() noexcept { return RecvResult(RecvStatus::kClosed); }

  RecvStatus status() const noexcept { return status_; }
  bool is_received() const noexcept { return status_ == RecvStatus::kReceived; }
  bool is_empty() const noexcept { return status_ == RecvStatus::kEmpty; }
  bool is_closed() const noexcept { return status_ == RecvStatus::kClosed; }
  explicit operator bool() const noexcept { return is_received(); }

  /// The value received. Only when `is_received()`.
  T& value() & noexcept { return *value_; }
  const T& value() const& noexcept { return *value_; }
  T&& value() && noexcept { return std::move(*value_); }

 private:
  explicit RecvResult(RecvStatus s) noexcept : status_(s) {}
  RecvResult(RecvStatus s, T&& v) : status_(s), value_(std::move(v)) {}

  RecvStatus status_;
  std::optional<T> value_;
};

template <class T>
class Receiver;

namespace detail {
/// Lets only Receiver<T> make a RecvFuture, also in place (std::optional).
template <class T>
class RecvKey {
  friend class Receiver<T>;
  RecvKey() = default;
};
}  // namespace detail

/// The Future behind `co_await receiver.recv()`: ready with a value, or with
/// std::nullopt once the channel is closed and every item sent before has
/// been received. While the channel is empty it parks the task in the
/// channel's receiver list; the next send wakes it.
///
/// Cancellation: destroying a pending RecvFuture (its task is cancelled
/// while parked) takes nothing out of the channel: an item is only moved out
/// by a poll that returns ready, which resumes the task at once. If an item's
/// arrival had already been signalled to this future, the signal goes to the
/// next parked receiver, so the item is not stranded.
///
/// Borrows the channel and the token of the Receiver that made it, which
/// must outlive it. Neither copyable nor movable (parked futures are linked
/// into the channel); polled by one task at a time.
template <class T>
class [[nodiscard]] RecvFuture {
 public:
  RecvFuture(detail::ChannelCore<T>* core, typename detail::ChannelCore<T>::ReceiverToken* token,
             detail::RecvKey<T>) noexcept
      : core_(core), token_(token) {}
  RecvFuture(const RecvFuture&) = delete;
  RecvFuture& operator=(const RecvFuture&) = delete;
  ~RecvFuture() {
    if (enlisted_) [[unlikely]]
      leave_waiting();
  }

  bool poll(Context& cx) noexcept { return poll_with(cx); }

  /// The value, or std::nullopt when closed and drained. Rethrows what
  /// moving T out of the channel threw (that item is then lost).
  std::optional<T> await_resume() {
    if (error_) std::rethrow_exception(error_);
    return std::move(value_);
  }

 private:
  friend class Receiver<T>;

  // Back to a fresh receive on `core` (the Receiver's stream reuses one
  // future): leaves the waiter list first, passing on a wake it was handed
  // but did not use.
  void abandon(detail::ChannelCore<T>* core) noexcept {
    abandon();
    core_ = core;
  }
  void abandon() noexcept {
    if (enlisted_) [[unlikely]]
      leave_waiting();
    enlisted_ = false;
    done_ = false;
    value_.reset();
    error_ = nullptr;
  }

  // Out of line: a receive that never waited, nearly every one, ends
  // inline. Handed a wake but leaving without using it: pass it on.
  [[gnu::noinline]] void leave_waiting() noexcept {
    if (core_->receivers_waiting().remove(node_)) core_->receivers_waiting().notify_one();
  }

  // The poll logic, for a task (Context) or a blocked thread (ParkerContext).
  template <class Cx>
  bool poll_with(const Cx& cx) noexcept {
    if (done_) return true;
    if constexpr (std::is_same_v<Cx, Context>) {
      if (!detail::poll_budget(cx)) return false;
    }
    if (attempt()) return true;
    core_->receivers_waiting().enlist(node_, cx);
    enlisted_ = true;
    return attempt();  // the re-check after enlisting: no lost wake
  }

  // One try; true once the receive is over (value, closed or failed).
  bool attempt() noexcept {
    detail::ChannelOutcome o;
    try {
      o = core_->try_recv(value_, token_);
    } catch (...) {
      error_ = std::current_exception();
      o = detail::ChannelOutcome::kDone;
    }
    if (o == detail::ChannelOutcome::kWouldBlock) return false;
    done_ = true;
    if (enlisted_) {
      // A wake it was handed is used by this item (or moot: closed).
      core_->receivers_waiting().remove(node_);
      enlisted_ = false;
    }
    return true;
  }

  detail::ChannelCore<T>* core_;
  typename detail::ChannelCore<T>::ReceiverToken* token_;
  std::optional<T> value_;
  std::exception_ptr error_;
  detail::ChannelWaiter node_;
  bool enlisted_ = false;
  bool done_ = false;
};

/// The receiving side of a channel made by `channel::bounded` or
/// `channel::unbounded`.
///
/// A counted handle: copying it clones it (one more receiver of the same
/// channel; each item goes to exactly one receiver). When the last Receiver
/// is destroyed the channel closes, later sends fail and hand their value
/// back, and the items still queued are destroyed. All operations are
/// thread-safe (any number of Receivers, on any threads and tasks, may
/// receive at once), but one Receiver object must not be assigned or
/// destroyed while in use. A moved-from or default-constructed Receiver is
/// empty: only assignment, destruction and `operator bool` are allowed on it.
/// Each Receiver object keeps a token of the channel's queue (where it took
/// its last item from, so that it need not look through every sender's
/// sub-queue), made at its first receive; a copy makes its own.
///
/// A Receiver is also a stream (AsyncStream) of the channel's items, ending
/// when the channel is closed and drained: `co_await rx.next()`, or
/// `rx | stream::map(f)`. As a stream it is used by one task at a time and
/// not moved while a `next()` is pending (copying or moving it leaves that
/// wait behind, and a wake it had been handed goes to another receiver).
template <class T>
class Receiver : public StreamBase<Receiver<T>> {
 public:
  using value_type = T;

  Receiver() noexcept = default;
  /// Adopts one receiver reference on `core` (used by the channel factories).
  explicit Receiver(detail::ChannelCore<T>* core) noexcept
      : core_(core), pending_(core, &token_, {}) {}
  Receiver(const Receiver& other) noexcept
      : StreamBase<Receiver<T>>(), core_(other.core_), pending_(core_, &token_, {}) {
    if (core_) core_->add_receiver();
  }
  Receiver(Receiver&& other) noexcept
      : core_(std::exchange(other.core_, nullptr)),
        token_(std::move(other.token_)),
        pending_(core_, &token_, {}) {
    other.pending_.abandon(nullptr);
  }
  Receiver& operator=(Receiver other) noexcept {
    std::swap(core_, other.core_);
    token_.swap(other.token_);
    pending_.abandon(core_);
    other.pending_.abandon(other.core_);
    return *this;
  }
  ~Receiver() {
    pending_.abandon();  // leaves the waiter list before the channel may go
    token_.reset();
    if (core_) core_->drop_receiver();
  }

  /// `co_await recv()`: the next value, waiting while the channel is empty;
  /// std::nullopt once it is closed and drained.
  RecvFuture<T> recv() const noexcept { return RecvFuture<T>(core_, &token_, {}); }

  /// The stream protocol (see channels/async_stream.hpp): the next item, the end
  /// once the channel is closed and drained, or pending with the task's
  /// waker parked in the channel.
  StreamPoll<T> poll_next(Context& cx) {
    if (!pending_.poll(cx)) return StreamPoll<T>::pending();
    std::optional<T> v = finish_pending();
    return v ? StreamPoll<T>::item(std::move(*v)) : StreamPoll<T>::end();
  }

  /// A value if one is ready right now; never waits.
  RecvResult<T> try_recv() const {
    std::optional<T> v;
    switch (core_->try_recv(v, &token_)) {
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
  std::optional<T> recv_blocking() const {
    RecvFuture<T> f(core_, &token_, {});
    detail::park_until("Receiver::recv_blocking", [&](const auto& cx) { return f.poll_with(cx); });
    return f.await_resume();
  }

  /// Closes the channel for everyone: later sends fail and hand their value
  /// back; receivers still get what was sent before, then std::nullopt;
  /// every parked sender and receiver wakes. Idempotent.
  void close() const noexcept { core_->close(); }
  bool is_closed() const noexcept { return core_->is_closed(); }
  /// Items waiting in the channel right now (a snapshot).
  std::size_t size() const noexcept { return core_->size(); }
  /// The channel's capacity (ChannelState::kMaxCapacity when unbounded).
  std::size_t capacity() const noexcept { return core_->capacity(); }

  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  // The finished receive's value; the next poll_next starts a new one.
  std::optional<T> finish_pending() {
    struct Reset {
      RecvFuture<T>& f;
      ~Reset() { f.abandon(); }
    } reset{pending_};
    return pending_.await_resume();
  }

  detail::ChannelCore<T>* core_ = nullptr;
  // Its place among the queue's sub-queues, made by its first receive.
  // Mutable: receives are const (thread-safe).
  mutable typename detail::ChannelCore<T>::ReceiverToken token_;
  RecvFuture<T> pending_{nullptr, &token_, {}};  // the receive poll_next waits on
};

}  // namespace troupe
