#pragma once

// Internal to the cluster module's sources.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>

namespace troupe::cluster::detail {

/// Counts a session's gRPC calls whose ClientContext still exists, so that
/// the session can wait for them before it destroys its channels.
///
/// Why: a ClientContext holds a reference to its grpc::Channel. Were the
/// last one to go with a context destroyed on a gRPC callback thread (a
/// reactor deleted in OnDone, a unary call's buffers freed with its
/// callback), the channel's teardown would join that very thread, and
/// gRPC 1.51 aborts ("assertion failed: prior > 0"). Thread-safe.
class CallTracker {
 public:
  /// One call's place in the count: a member of the call's state declared
  /// before its ClientContext, so that it is destroyed after it. Move-only.
  class Ticket {
   public:
    Ticket() noexcept = default;
    explicit Ticket(std::shared_ptr<CallTracker> tracker) : tracker_(std::move(tracker)) {
      std::lock_guard lock(tracker_->mutex_);
      ++tracker_->calls_;
    }
    Ticket(Ticket&& other) noexcept : tracker_(std::move(other.tracker_)) {}
    Ticket& operator=(Ticket&& other) noexcept {
      if (this != &other) {
        leave();
        tracker_ = std::move(other.tracker_);
      }
      return *this;
    }
    ~Ticket() { leave(); }

   private:
    void leave() noexcept {
      if (!tracker_) return;
      {
        std::lock_guard lock(tracker_->mutex_);
        --tracker_->calls_;
      }
      tracker_->idle_.notify_all();
      tracker_.reset();
    }
    std::shared_ptr<CallTracker> tracker_;
  };

  /// Waits until no call is left, at most `limit`; false if some still are.
  bool wait_idle(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, limit, [&] { return calls_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t calls_ = 0;
};

}  // namespace troupe::cluster::detail
