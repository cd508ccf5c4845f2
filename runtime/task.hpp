#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include <troupe/runtime/context.hpp>
#include <troupe/runtime/detail/driver.hpp>
#include <troupe/runtime/detail/result.hpp>
#include <troupe/runtime/detail/task_header.hpp>
#include <troupe/runtime/future.hpp>

namespace troupe {

template <class T = void>
class Task;

namespace detail {

template <class>
inline constexpr bool kAlwaysFalse = false;

template <class T>
struct IsTask : std::false_type {};
template <class T>
struct IsTask<Task<T>> : std::true_type {};

/// Adapts a Future to `co_await`: poll once, and park the chain on it if it
/// is not ready. Whoever drives the chain polls it again on each wake.
template <class F>
class LeafAwaiter {
 public:
  LeafAwaiter(F& f, Driver& driver) noexcept : future_(f), driver_(driver) {}
  bool await_ready() noexcept {
    Context cx(driver_.task());
    return future_.poll(cx);
  }
  void await_suspend(std::coroutine_handle<> h) noexcept { driver_.park(h, &future_, &poll_leaf); }
  decltype(auto) await_resume() { return future_.await_resume(); }

 private:
  static bool poll_leaf(void* leaf, TaskHeader& task) noexcept {
    Context cx(task);
    return static_cast<F*>(leaf)->poll(cx);
  }
  F& future_;
  Driver& driver_;
};

class ChildAwaiter;

/// The parts of a Task's promise that do not depend on T.
class PromiseBase {
 public:
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      PromiseBase& p = h.promise();
      if (!p.continuation_) return std::noop_coroutine();  // a root: back to its driver
      return p.driver_->transfer_to(p.continuation_);
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  template <class U>
  auto await_transform(Task<U>&& child) noexcept;

  template <class F>
  requires Future<std::remove_reference_t<F>> LeafAwaiter<std::remove_reference_t<F>>
  await_transform(F&& f)
  noexcept { return {f, *driver_}; }

  template <class A>
  requires(!Future<std::remove_reference_t<A>> &&
           !IsTask<std::remove_cvref_t<A>>::value) void await_transform(A&&) {
    static_assert(kAlwaysFalse<A>,
                  "a troupe::Task can co_await a Task (as an rvalue: std::move it) or a "
                  "troupe::Future (see runtime/future.hpp); this type is neither");
  }

  /// Joins the chain `d` drives; `continuation` is resumed on completion
  /// (none for the root of a chain).
  void set_driver(Driver* d, std::coroutine_handle<> continuation) noexcept {
    driver_ = d;
    continuation_ = continuation;
  }

 private:
  friend class ChildAwaiter;
  friend void destroy_chain(std::coroutine_handle<> frame, PromiseBase& promise) noexcept;

  Driver* driver_ = nullptr;
  std::coroutine_handle<> continuation_;
  // While this coroutine is suspended in `co_await child`: the awaiter that
  // owns the child's frame. With the child's `parent_`, it lets a suspended
  // chain be destroyed innermost first without recursion (destroy_chain).
  ChildAwaiter* awaiting_ = nullptr;
  PromiseBase* parent_ = nullptr;
};

/// Destroys the frame of a Task coroutine. If it is suspended in a chain of
/// `co_await child`, the frames are destroyed innermost first (the order
/// in which their scopes would unwind, as a child may refer to its parents'
/// locals) and one at a time: destroying a parent frame directly would
/// destroy its child from the parent's destructor, recursing once per level
/// and overflowing the stack on a deep chain (a recursive task cancelled
/// while suspended at the bottom).
void destroy_chain(std::coroutine_handle<> frame, PromiseBase& promise) noexcept;

/// The part of `co_await child` that does not depend on T: owns the child's
/// frame while the parent waits for it, and links the two promises.
class ChildAwaiter {
 public:
  ChildAwaiter(const ChildAwaiter&) = delete;
  ChildAwaiter& operator=(const ChildAwaiter&) = delete;

 protected:
  ChildAwaiter(std::coroutine_handle<> child, PromiseBase& child_promise,
               PromiseBase& parent) noexcept
      : child_(child), child_promise_(&child_promise), parent_(&parent) {}
  ~ChildAwaiter() {
    if (child_) destroy_chain(child_, *child_promise_);
  }
  void link() noexcept {
    child_promise_->parent_ = parent_;
    parent_->awaiting_ = this;
  }
  void unlink() noexcept { parent_->awaiting_ = nullptr; }

  std::coroutine_handle<> child_;

 private:
  friend void destroy_chain(std::coroutine_handle<> frame, PromiseBase& promise) noexcept;
  PromiseBase* child_promise_;
  PromiseBase* parent_;
};

inline void destroy_chain(std::coroutine_handle<> frame, PromiseBase& promise) noexcept {
  PromiseBase* p = &promise;
  while (p->awaiting_ != nullptr) p = p->awaiting_->child_promise_;
  // Now p is the innermost frame: suspended on a leaf, or not at all.
  while (p != &promise) {
    PromiseBase* parent = p->parent_;
    ChildAwaiter* link = std::exchange(parent->awaiting_, nullptr);
    // p's own link (if it had one) is already gone: no recursion here.
    std::exchange(link->child_, {}).destroy();
    p = parent;
  }
  frame.destroy();
}

template <class T>
class TaskPromise : public PromiseBase {
 public:
  Task<T> get_return_object() noexcept;
  template <class U = T>
  void return_value(U&& v) {
    result.set_value(std::forward<U>(v));
  }
  void unhandled_exception() noexcept { result.set_exception(std::current_exception()); }
  Result<T> result;
};

template <>
class TaskPromise<void> : public PromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept { result.set_value(); }
  void unhandled_exception() noexcept { result.set_exception(std::current_exception()); }
  Result<void> result;
};

/// `co_await child` inside a Task: start the child by symmetric transfer and
/// resume the parent when it finishes, rethrowing its exception if any.
template <class T>
class TaskAwaiter : public ChildAwaiter {
 public:
  using Handle = std::coroutine_handle<TaskPromise<T>>;
  TaskAwaiter(Handle child, PromiseBase& parent, Driver& driver) noexcept
      : ChildAwaiter(child, child.promise(), parent), driver_(driver) {}
  bool await_ready() noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    Handle h = handle();
    h.promise().set_driver(&driver_, parent);
    link();
    return driver_.transfer_to(h);
  }
  T await_resume() {
    unlink();
    return handle().promise().result.get();
  }

 private:
  Handle handle() const noexcept { return Handle::from_address(child_.address()); }
  Driver& driver_;
};

template <class U>
auto PromiseBase::await_transform(Task<U>&& child) noexcept {
  // The awaiter owns the child's frame from here on.
  return TaskAwaiter<U>(child.release(), *this, *driver_);
}

}  // namespace detail

/// A lazy coroutine: the C++ face of a Rust `async fn`.
///
/// Nothing runs until the Task is awaited by another Task (`co_await
/// std::move(t)` or `co_await f()`) or handed to `spawn` / `block_on`. The
/// awaiting coroutine resumes when the Task finishes, with its value or its
/// exception. Move-only; owns its coroutine frame and destroys it when
/// dropped, which is how an unfinished Task is cancelled. Not thread-safe: one
/// Task is driven by one task at a time.
template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using Handle = std::coroutine_handle<promise_type>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  explicit operator bool() const noexcept { return static_cast<bool>(h_); }
  Handle handle() const noexcept { return h_; }
  Handle release() noexcept { return std::exchange(h_, {}); }
  void reset() noexcept {
    if (h_) {
      const Handle h = std::exchange(h_, {});
      detail::destroy_chain(h, h.promise());
    }
  }

 private:
  Handle h_;
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace troupe
