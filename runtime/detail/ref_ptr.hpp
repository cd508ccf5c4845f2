#pragma once

#include <cstddef>
#include <utility>

namespace troupe::detail {

/// An owning pointer to an intrusively counted object (anything with
/// `retain()` and `release()`: a task, an actor's cell): a copy is one more
/// reference, destruction or reset is one less. The only place outside the
/// counted classes themselves that calls retain() and release(), so a
/// reference cannot be forgotten or dropped twice.
///
/// Not thread-safe as an object (like shared_ptr); the count it manages is.
template <class T>
class RefPtr {
 public:
  RefPtr() noexcept = default;
  RefPtr(std::nullptr_t) noexcept {}  // NOLINT: converts like a pointer
  /// Shares `object`: takes a new reference.
  explicit RefPtr(T& object) noexcept : ptr_(&object) { ptr_->retain(); }
  /// Takes over a reference the caller already holds (a fresh object's
  /// first, or one handed over through a raw pointer).
  static RefPtr adopt(T* object) noexcept {
    RefPtr p;
    p.ptr_ = object;
    return p;
  }

  RefPtr(const RefPtr& o) noexcept : ptr_(o.ptr_) {
    if (ptr_) ptr_->retain();
  }
  RefPtr(RefPtr&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)) {}
  RefPtr& operator=(RefPtr o) noexcept {
    std::swap(ptr_, o.ptr_);
    return *this;
  }
  ~RefPtr() { reset(); }

  void reset() noexcept {
    if (T* p = std::exchange(ptr_, nullptr)) p->release();
  }
  /// Gives up the reference without releasing it (to be adopted again).
  [[nodiscard]] T* leak() noexcept { return std::exchange(ptr_, nullptr); }

  T* get() const noexcept { return ptr_; }
  T* operator->() const noexcept { return ptr_; }
  T& operator*() const noexcept { return *ptr_; }
  explicit operator bool() const noexcept { return ptr_ != nullptr; }
  friend bool operator==(const RefPtr& a, const RefPtr& b) noexcept { return a.ptr_ == b.ptr_; }
  friend bool operator==(const RefPtr& a, const T* b) noexcept { return a.ptr_ == b; }

 private:
  T* ptr_ = nullptr;
};

}  // namespace troupe::detail
