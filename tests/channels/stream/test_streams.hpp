#pragma once

// Streams that tests control, shared by the stream suites: a Feed whose
// items, end and failures the test decides (and whose waker it can see), and
// an endless counter; also the small values and errors the suites feed
// them. Header only; everything is in troupe::test.

#include <cstddef>
#include <deque>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream_poll.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/waker.hpp>

#include "../../runtime/test_support.hpp"

namespace troupe::test {

/// The failure a test's own function throws (as opposed to a FeedFailure).
struct Boom : std::runtime_error {
  Boom() : std::runtime_error("boom") {}
};

/// from, from + 1, ..., to - 1.
inline std::vector<int> range(int from, int to) {
  std::vector<int> v(static_cast<std::size_t>(to - from));
  std::iota(v.begin(), v.end(), from);
  return v;
}

/// The vector of the given ints, where a braced list alone would not do.
inline std::vector<int> ints(std::initializer_list<int> v) { return v; }

/// Thrown by a Feed told to fail.
class FeedFailure : public std::runtime_error {
 public:
  FeedFailure() : std::runtime_error("feed failure") {}
};

/// A stream the test drives by hand: push() items, fail() to queue a
/// failure (the poll that reaches it throws), close() to end it once the
/// queue is drained. While it has nothing it is pending and
/// keeps the poller's waker, which push/fail/close wake. The test keeps the
/// Feed; combinators own the FeedStream (both share the state). Thread-safe.
/// The feed may keep the last waker until it is destroyed: declare the
/// ProbeTask or executor that polls it before the Feed, so it outlives it.
template <class T>
class Feed {
  struct State {
    std::mutex mutex;
    std::deque<std::optional<T>> items;  // empty: a failure
    bool closed = false;
    Waker waker;
    std::size_t polls = 0;
  };

 public:
  class Stream : public StreamBase<Stream> {
   public:
    using value_type = T;
    explicit Stream(std::shared_ptr<State> s) noexcept : s_(std::move(s)) {}

    StreamPoll<T> poll_next(Context& cx) {
      std::lock_guard lock(s_->mutex);
      ++s_->polls;
      if (!s_->items.empty()) {
        std::optional<T> v = std::move(s_->items.front());
        s_->items.pop_front();
        if (!v) throw FeedFailure();
        return StreamPoll<T>::item(std::move(*v));
      }
      if (s_->closed) return StreamPoll<T>::end();
      if (!cx.will_wake(s_->waker)) s_->waker = cx.waker();
      return StreamPoll<T>::pending();
    }

   private:
    std::shared_ptr<State> s_;
  };

  Feed() : s_(std::make_shared<State>()) {}

  /// The stream side (all of them share this feed).
  Stream stream() const { return Stream(s_); }

  void push(T v) {
    update([&](State& s) { s.items.push_back(std::move(v)); });
  }
  /// The poll that reaches this point of the queue throws FeedFailure
  /// (then the stream goes on).
  void fail() {
    update([](State& s) { s.items.emplace_back(); });
  }
  void close() {
    update([](State& s) { s.closed = true; });
  }

  /// True while a poller's waker is registered and not yet woken.
  bool has_waker() const {
    std::lock_guard lock(s_->mutex);
    return static_cast<bool>(s_->waker);
  }
  std::size_t polls() const {
    std::lock_guard lock(s_->mutex);
    return s_->polls;
  }
  /// Items (and failures) pushed and not yet taken.
  std::size_t queued() const {
    std::lock_guard lock(s_->mutex);
    return s_->items.size();
  }

 private:
  template <class Fn>
  void update(Fn fn) {
    Waker w;
    {
      std::lock_guard lock(s_->mutex);
      fn(*s_);
      w.swap(s_->waker);
    }
    w.wake();
  }

  std::shared_ptr<State> s_;
};

/// A stream that is always ready: start, start + 1, ... forever. Counts its
/// polls in a counter the test owns. Not thread-safe.
class Counter : public StreamBase<Counter> {
 public:
  using value_type = int;
  explicit Counter(int start = 0, std::size_t* polls = nullptr) noexcept
      : next_(start), polls_(polls) {}

  StreamPoll<int> poll_next(Context&) {
    if (polls_) ++*polls_;
    return StreamPoll<int>::item(next_++);
  }

 private:
  int next_;
  std::size_t* polls_;
};

/// A stream that is never ready and never registers a waker: only for
/// checking that a combinator does not poll it at all.
template <class T>
class Untouchable : public StreamBase<Untouchable<T>> {
 public:
  using value_type = T;
  explicit Untouchable(std::size_t* polls) noexcept : polls_(polls) {}
  StreamPoll<T> poll_next(Context&) {
    ++*polls_;
    return StreamPoll<T>::pending();
  }

 private:
  std::size_t* polls_;
};

/// One poll of `s` with the Context of `probe` (which counts the wakes).
template <AsyncStream S>
StreamPoll<stream_value_t<S>> poll_once(S& s, ProbeTask& probe) {
  Context cx(probe);
  return s.poll_next(cx);
}

/// Polls `s` until it ends and returns its items; for streams that are
/// always ready. Throws std::logic_error if a poll is pending.
template <AsyncStream S>
std::vector<stream_value_t<S>> drain(S& s) {
  ProbeTask probe;
  std::vector<stream_value_t<S>> items;
  for (;;) {
    StreamPoll<stream_value_t<S>> p = poll_once(s, probe);
    if (p.is_pending()) throw std::logic_error("drain: the stream is pending");
    if (p.is_end()) return items;
    items.push_back(std::move(p).value());
  }
}

/// drain() of a stream given by value.
template <AsyncStream S>
std::vector<stream_value_t<S>> drained(S s) {
  return drain(s);
}

}  // namespace troupe::test
