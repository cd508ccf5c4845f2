#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/channels/detail/channel_core.hpp>
#include <troupe/channels/detail/parker_context.hpp>
#include <troupe/channels/detail/waiter_list.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/budget.hpp>
#include <troupe/runtime/detail/thread_parker.hpp>

namespace troupe {

/// How a send ended.
enum class SendStatus {
  kSent,    // the value is in the channel
  kFull,    // try_send only: no room; the value comes back
  kClosed,  // the channel is closed; the value comes back
};

/// The result of a send: either the value went into the channel, or it was
/// refused and is handed back to the caller, never silently dropped.
/// [[nodiscard]] because a refused value is in it: write
/// `(void)co_await tx.send(v)` where dropping it is intended.
///
/// A plain value owned by the caller; not thread-safe.
template <class T>
class [[nodiscard]] SendResult {
 public:
  static SendResult sent() noexcept { return SendResult(SendStatus::kSent); }
  static SendResult full(T value) { return SendResult(SendStatus::kFull, std::move(value)); }
  static SendResult closed(T value) { return SendResult(SendStatus::kClosed, std::move(value)); }

  SendStatus status() const noexcept { return status_; }
  bool is_sent() const noexcept { return status_ == SendStatus::kSent; }
  bool is_full() const noexcept { return status_ == SendStatus::kFull; }
  bool is_closed() const noexcept { return status_ == SendStatus::kClosed; }
  explicit operator bool() const noexcept { return is_sent(); }

  /// The value that was not sent. Only when `!is_sent()`.
  T& value() & noexcept { return *value_; }
  const T& value() const& noexcept { return *value_; }
  T&& value() && noexcept { return std::move(*value_); }

 private:
  explicit SendResult(SendStatus s) noexcept : status_(s) {}
  SendResult(SendStatus s, T&& v) : status_(s), value_(std::move(v)) {}

  SendStatus status_;
  std::optional<T> value_;
};

template <class T, class Core>
class Sender;

/// The Future behind `co_await sender.send(value)`: ready once the value is
/// in the channel (SendResult::sent) or the channel is closed
/// (SendResult::closed, with the value). While a bounded channel is full it
/// parks the task in the channel's sender list; a receiver that frees a slot
/// wakes it.
///
/// Owns the value until it is sent. Cancellation: destroying a pending
/// SendFuture (its task is cancelled while parked) leaves the channel
/// unchanged and destroys the value with the future; it never reaches a
/// receiver. If a free slot had already been signalled to it, that signal
/// goes to the next parked sender.
///
/// Borrows the channel and the token (the sub-queue) of the Sender that made
/// it, which must outlive it and not be assigned while it is pending.
/// Neither copyable nor movable (parked futures are linked into the channel);
/// polled by one task at a time. `Core` is the channel's kind (MPMC or MPSC).
template <class T, class Core = detail::ChannelCore<T>>
class [[nodiscard]] SendFuture {
 public:
  SendFuture(const SendFuture&) = delete;
  SendFuture& operator=(const SendFuture&) = delete;
  ~SendFuture() {
    if (enlisted_) [[unlikely]]
      leave_waiting();
  }

  bool poll(Context& cx) noexcept { return poll_with(cx); }

  /// Rethrows std::bad_alloc (or what moving T threw) if the channel could
  /// not store the value; the value is then lost.
  SendResult<T> await_resume() {
    if (error_) std::rethrow_exception(error_);
    if (*outcome_ == detail::ChannelOutcome::kDone) return SendResult<T>::sent();
    return SendResult<T>::closed(std::move(*value_));
  }

 private:
  friend class Sender<T, Core>;
  using Token = typename Core::SenderToken;
  // The Sender's token, by address; nothing for a core without tokens.
  using TokenRef = std::conditional_t<std::is_empty_v<Token>, Token, Token*>;

  SendFuture(Core& core, Token& token, T&& value) noexcept(std::is_nothrow_move_constructible_v<T>)
      : core_(&core), token_(ref(token)), value_(std::move(value)) {}

  static TokenRef ref(Token& token) noexcept {
    if constexpr (std::is_empty_v<Token>) {
      return token;
    } else {
      return &token;
    }
  }
  Token& token() noexcept {
    if constexpr (std::is_empty_v<Token>) {
      return token_;
    } else {
      return *token_;
    }
  }

  // The poll logic, for a task (Context) or a blocked thread (ParkerContext).
  template <class Cx>
  bool poll_with(const Cx& cx) noexcept {
    if (outcome_ || error_) return true;
    if constexpr (std::is_same_v<Cx, Context>) {
      if (!detail::poll_budget(cx)) return false;
    }
    if (attempt()) return true;
    core_->senders_waiting().enlist(node_, cx);
    enlisted_ = true;
    return attempt();  // the re-check after enlisting: no lost wake
  }

  // One try; true once the send is over (sent, closed or failed).
  bool attempt() noexcept {
    detail::ChannelOutcome o;
    try {
      o = core_->try_send(*value_, token());
    } catch (...) {
      error_ = std::current_exception();
      leave_list();
      return true;
    }
    if (o == detail::ChannelOutcome::kWouldBlock) return false;
    outcome_ = o;
    leave_list();
    return true;
  }

  // Destroyed while parked (out of line: a send that never waited, nearly
  // every one, is destroyed inline). Handed a free slot but leaving without
  // using it: pass it on.
  [[gnu::noinline]] void leave_waiting() noexcept {
    if (core_->senders_waiting().remove(node_)) core_->senders_waiting().notify_one();
  }

  // Done: unlink. A wake it was handed is used (or moot: closed).
  void leave_list() noexcept {
    if (enlisted_) {
      core_->senders_waiting().remove(node_);
      enlisted_ = false;
    }
  }

  Core* core_;
  [[no_unique_address]] TokenRef token_;
  std::optional<T> value_;
  std::optional<detail::ChannelOutcome> outcome_;
  std::exception_ptr error_;
  detail::ChannelWaiter node_;
  bool enlisted_ = false;
};

/// The sending side of a channel: of an MPMC channel made by
/// `channel::bounded` or `channel::unbounded`, or (as MpscSender) of an
/// ordered channel made by `channel::mpsc::bounded` or `::unbounded`.
///
/// A counted handle: copying it clones it (one more sender of the same
/// channel). When the last Sender is destroyed the channel closes; receivers
/// then drain what is left and see "closed". All operations are thread-safe
/// (any number of Senders, on any threads and tasks, may send at once, also
/// through one Sender object), but one Sender object must not be assigned or
/// destroyed while in use.
/// A moved-from or default-constructed Sender is empty: only assignment,
/// destruction and `operator bool` are allowed on it.
///
/// Order: two sends through one Sender object, the first finished before the
/// second began, are received in that order (by any one receiver), whatever
/// threads they ran on. An MPMC Sender owns a token of the channel's queue
/// for that (its own sub-queue, made at its first send: a copy makes its
/// own); two tasks sending through one Sender object at once take turns
/// with it. Sends through different Senders are not ordered.
template <class T, class Core = detail::ChannelCore<T>>
class Sender {
 public:
  Sender() noexcept = default;
  /// Adopts one sender reference on `core` (used by the channel factories).
  explicit Sender(Core* core) noexcept : core_(core) {}
  Sender(const Sender& other) noexcept : core_(other.core_) {
    if (core_) core_->add_sender();
  }
  Sender(Sender&& other) noexcept
      : core_(std::exchange(other.core_, nullptr)), token_(std::move(other.token_)) {}
  Sender& operator=(Sender other) noexcept {
    std::swap(core_, other.core_);
    token_.swap(other.token_);
    return *this;
  }
  ~Sender() {
    token_.reset();  // it refers to the channel's queue
    if (core_) core_->drop_sender();
  }

  /// `co_await send(v)`: waits for room (backpressure on a bounded channel),
  /// then sends. Gives SendResult::closed with the value if the channel is
  /// or becomes closed first.
  SendFuture<T, Core> send(T value) const {
    return SendFuture<T, Core>(*core_, token_, std::move(value));
  }

  /// Sends if there is room right now; never waits. kFull and kClosed hand
  /// the value back.
  SendResult<T> try_send(T value) const {
    switch (core_->try_send(value, token_)) {
      case detail::ChannelOutcome::kDone:
        return SendResult<T>::sent();
      case detail::ChannelOutcome::kWouldBlock:
        return SendResult<T>::full(std::move(value));
      case detail::ChannelOutcome::kClosed:
        break;
    }
    return SendResult<T>::closed(std::move(value));
  }

  /// Like `co_await send(value)`, blocking the calling thread while the
  /// channel is full. For plain threads only: throws std::logic_error on a
  /// runtime's worker thread, where blocking would stall other tasks.
  SendResult<T> send_blocking(T value) const {
    SendFuture<T, Core> f(*core_, token_, std::move(value));
    detail::park_until("Sender::send_blocking", [&](const auto& cx) { return f.poll_with(cx); });
    return f.await_resume();
  }

  /// Closes the channel for everyone: later sends fail and hand their value
  /// back; receivers still get what was sent before, then "closed"; every
  /// parked sender and receiver wakes. Idempotent.
  void close() const noexcept { core_->close(); }
  bool is_closed() const noexcept { return core_->is_closed(); }
  /// Items waiting in the channel right now (a snapshot).
  std::size_t size() const noexcept { return core_->size(); }
  /// The channel's capacity (a very large number when unbounded).
  std::size_t capacity() const noexcept { return core_->capacity(); }

  explicit operator bool() const noexcept { return core_ != nullptr; }

 private:
  Core* core_ = nullptr;
  // Mutable: sends are const (thread-safe), and the first one makes it.
  [[no_unique_address]] mutable typename Core::SenderToken token_;
};

}  // namespace troupe
