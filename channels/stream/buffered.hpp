#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::stream {

namespace detail {
template <class>
struct TaskValue {};
template <class U>
struct TaskValue<Task<U>> {
  using type = U;
};

/// `f(item)` is a troupe::Task<U> with U not void, for the items of S.
template <class F, class S>
concept TaskReturning = std::invocable<F&, stream_value_t<S>> && requires {
  typename TaskValue<std::remove_cvref_t<std::invoke_result_t<F&, stream_value_t<S>>>>::type;
} && !std::is_void_v<
    typename TaskValue<std::remove_cvref_t<std::invoke_result_t<F&, stream_value_t<S>>>>::type>;
}  // namespace detail

/// A map whose function is asynchronous and runs concurrently: for each
/// item, `f(item)` makes a troupe::Task<U>, which is spawned on the
/// scheduler of the task polling the stream; up to `n` run at once, and
/// their results come out in the order of the items (a quick task waits
/// behind a slow one that came first). A new item is taken from the source
/// only when fewer than `n` tasks are in flight (backpressure).
///
/// An exception from `f`, or from a task, reaches the consumer in that
/// item's place; the stream goes on with the next one. Dropping the stream
/// cancels the tasks still in flight (their frames are destroyed at their
/// next suspension point, on their scheduler) and discards the results
/// that were never handed out; only a task that fails in the window
/// between the drop and its cancellation reaches the unobserved-failure
/// hook.
///
/// Owns its source, `f` and the JoinHandles of the tasks in flight (a ring
/// of `n`, allocated once). Polled by one task at a time; the spawned tasks
/// run in parallel with it on a multi-threaded runtime, so `f`'s tasks must
/// not share unsynchronized state.
template <AsyncStream S, class F>
requires detail::TaskReturning<F, S>
class Buffered : public StreamBase<Buffered<S, F>> {
  using TaskType = std::remove_cvref_t<std::invoke_result_t<F&, stream_value_t<S>>>;

 public:
  using value_type = typename detail::TaskValue<TaskType>::type;

  /// Throws std::invalid_argument if `n` is 0.
  Buffered(S source, std::size_t n, F f)
      : source_(std::move(source)), f_(std::move(f)), ring_(check(n)) {}
  Buffered(Buffered&&) = default;
  Buffered& operator=(Buffered&&) = delete;
  ~Buffered() {
    for (Slot& slot : ring_) {
      if (!slot.valid) continue;
      slot.handle.cancel();
      // A result that will never be read is dropped with the stream, so a
      // failed task is not reported as an unobserved failure.
      if (slot.handle.is_finished()) {
        try {
          (void)slot.handle.await_resume();
        } catch (...) {
        }
      }
    }
  }

  StreamPoll<value_type> poll_next(Context& cx) {
    // Start tasks for as many items as there are free slots and ready items.
    while (!source_done_ && in_flight_ < ring_.size()) {
      StreamPoll<stream_value_t<S>> p = source_.poll_next(cx);
      if (p.is_pending()) break;
      if (p.is_end()) {
        source_done_ = true;
        break;
      }
      TaskType task = std::invoke(f_, std::move(p).value());
      Slot& slot = ring_[(head_ + in_flight_) % ring_.size()];
      slot.handle = troupe::detail::spawn_on(cx.scheduler(), std::move(task));
      slot.valid = true;
      ++in_flight_;
    }
    if (in_flight_ == 0) {
      return source_done_ ? StreamPoll<value_type>::end() : StreamPoll<value_type>::pending();
    }
    Slot& front = ring_[head_];
    if (!front.handle.poll(cx)) return StreamPoll<value_type>::pending();
    // Out of the ring before the result is read: if the task failed, its
    // exception goes out and the stream goes on with the next one.
    JoinHandle<value_type> done = std::move(front.handle);
    front.valid = false;
    head_ = (head_ + 1) % ring_.size();
    --in_flight_;
    return StreamPoll<value_type>::item(done.await_resume());
  }

  /// Tasks spawned whose result has not been handed out yet.
  std::size_t in_flight() const noexcept { return in_flight_; }

 private:
  struct Slot {
    JoinHandle<value_type> handle;
    bool valid = false;  // a moved-from or default JoinHandle must not be polled
  };
  static std::size_t check(std::size_t n) {
    if (n == 0) throw std::invalid_argument("troupe::stream::buffered: the limit must be positive");
    return n;
  }

  S source_;
  F f_;
  std::vector<Slot> ring_;  // in flight: ring_[head_], ... (in_flight_ of them, in item order)
  std::size_t head_ = 0;
  std::size_t in_flight_ = 0;
  bool source_done_ = false;
};

/// `f(item)`'s Task for each item of `source`, up to `n` running at once,
/// results in item order.
template <AsyncStream S, class F>
requires detail::TaskReturning<F, S> Buffered<S, F> buffered(S source, std::size_t n, F f) {
  return Buffered<S, F>(std::move(source), n, std::move(f));
}

/// Pipeline form: `source | stream::buffered(n, f)`.
template <class F>
auto buffered(std::size_t n, F f) {
  return detail::make_adaptor([n, f = std::move(f)]<class S>(S source) mutable {
    return stream::buffered(std::move(source), n, std::move(f));
  });
}

}  // namespace troupe::stream
