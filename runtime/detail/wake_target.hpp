#pragma once

namespace troupe::detail {

/// Something a Waker can wake: a task (TaskHeader) or a parked thread
/// (ThreadParker). Reference counted; all three operations are thread-safe.
class WakeTarget {
 public:
  virtual void wake() noexcept = 0;
  virtual void retain() noexcept = 0;
  virtual void release() noexcept = 0;

 protected:
  ~WakeTarget() = default;
};

}  // namespace troupe::detail
