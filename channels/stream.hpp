#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <troupe/channels/async_stream.hpp>
#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/driver.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe {

template <class T>
class Stream;

namespace detail {

/// The promise of a Stream coroutine: a Task-like coroutine (it may
/// `co_await` Tasks and Futures) that can also `co_yield` items. It has its
/// own Driver, since it is polled from inside whichever task consumes it.
template <class T>
class StreamPromise : public PromiseBase {
 public:
  Stream<T> get_return_object() noexcept;

  /// Suspends after each item; the next poll_next resumes the body.
  struct YieldAwaiter {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { driver.park(h, nullptr, nullptr); }
    void await_resume() const noexcept {}
    Driver& driver;
  };
  template <class U = T>
  requires std::constructible_from<T, U&&> YieldAwaiter yield_value(U&& v) {
    item.emplace(std::forward<U>(v));
    return {driver};
  }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { error = std::current_exception(); }

  Driver driver;
  std::optional<T> item;  // the item just yielded, until poll_next takes it
  std::exception_ptr error;
};

}  // namespace detail

/// A stream written as a coroutine: the async generator. `co_yield` hands
/// out an item; `co_await` waits on Tasks and Futures like in a Task;
/// returning ends the stream.
///
///   troupe::Stream<int> ticks(int n) {
///     for (int i = 0; i < n; ++i) {
///       co_await troupe::sleep_for(10ms);
///       co_yield i;
///     }
///   }
///   auto s = ticks(3);
///   while (auto i = co_await s.next()) ...
///
/// Lazy like a Task: the body runs only while the stream is polled, inside
/// the consuming task, up to the next `co_yield` (or a wait). An exception
/// that escapes the body reaches the consumer from `next()`, and the stream
/// then ends. Move-only; owns the coroutine frame and destroys it when
/// dropped, which cancels the body wherever it waits. Any AsyncStream of
/// items convertible to T converts to a Stream<T> (one frame allocation),
/// which is how a function returns a chain of combinators without naming
/// its type. Not thread-safe: one task consumes it at a time.
template <class T>
class [[nodiscard]] Stream : public StreamBase<Stream<T>> {
 public:
  using promise_type = detail::StreamPromise<T>;
  using Handle = std::coroutine_handle<promise_type>;
  using value_type = T;

  Stream() noexcept = default;
  explicit Stream(Handle h) noexcept : h_(h) {}
  /// Wraps any other stream (type erasure).
  template <AsyncStream S>
  requires(!std::is_same_v<std::remove_cvref_t<S>, Stream> &&
           std::constructible_from<T, stream_value_t<S>>) Stream(S source)
      : Stream(drain(std::move(source))) {}
  Stream(Stream&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Stream& operator=(Stream&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  ~Stream() { reset(); }

  StreamPoll<T> poll_next(Context& cx) {
    if (!h_ || h_.done()) return StreamPoll<T>::end();
    promise_type& p = h_.promise();
    p.driver.set_task(cx.task());
    if (!p.driver.advance()) return StreamPoll<T>::pending();
    if (p.item) {
      StreamPoll<T> out = StreamPoll<T>::item(std::move(*p.item));
      p.item.reset();
      return out;
    }
    if (!h_.done()) return StreamPoll<T>::pending();  // parked on a leaf future
    if (p.error) std::rethrow_exception(std::exchange(p.error, nullptr));
    return StreamPoll<T>::end();
  }

  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

 private:
  template <class S>
  static Stream drain(S source) {
    while (auto v = co_await troupe::next(source)) co_yield std::move(*v);
  }

  void reset() noexcept {
    if (h_) {
      const Handle h = std::exchange(h_, {});
      detail::destroy_chain(h, h.promise());
    }
  }

  Handle h_;
};

namespace detail {
template <class T>
Stream<T> StreamPromise<T>::get_return_object() noexcept {
  auto h = std::coroutine_handle<StreamPromise>::from_promise(*this);
  set_driver(&driver, {});
  driver.park(h, nullptr, nullptr);
  return Stream<T>(h);
}
}  // namespace detail

}  // namespace troupe
