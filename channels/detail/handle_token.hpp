#pragma once

#include <atomic>
#include <optional>
#include <thread>
#include <utility>

#include <troupe/runtime/detail/cpu_relax.hpp>

namespace troupe::detail {

/// A channel handle's own queue token (a Sender's producer token, a
/// Receiver's consumer token), made by the first operation that needs it.
///
/// Owned by one handle: a copy of the handle makes its own token, a move
/// takes it along. The handle destroys it before it lets go of the channel
/// (a producer token belongs to the queue's sub-queue it names).
///
/// A handle's operations are const and thread-safe, and handles are shared
/// (one Sender object in several tasks), so the token is taken for the
/// length of one queue operation with a flag: `lock` waits for it (a Sender,
/// whose sends must stay in order), `try_lock` does not (a Receiver, which
/// can do without). The flag stays in the cache of the thread that uses the
/// handle, so taking it costs no cache miss. Locking is thread-safe; moving,
/// swapping and resetting are not (nor is any of that allowed on a handle in
/// use).
template <class Token>
class HandleToken {
 public:
  HandleToken() noexcept = default;
  HandleToken(const HandleToken&) noexcept {}  // a copied handle makes its own
  HandleToken(HandleToken&& other) noexcept : token_(std::move(other.token_)) {
    other.token_.reset();
  }
  HandleToken& operator=(const HandleToken&) = delete;
  HandleToken& operator=(HandleToken&&) = delete;

  void swap(HandleToken& other) noexcept { token_.swap(other.token_); }
  /// Destroys the token (before its handle lets go of the channel).
  void reset() noexcept { token_.reset(); }

  /// The token, made from `queue` on first use, if no other operation holds
  /// it; then unlock() when done. Throws what making the token throws
  /// (std::bad_alloc), holding nothing.
  template <class Queue>
  Token* try_lock(Queue& queue) {
    if (busy_.exchange(true, std::memory_order_acquire)) return nullptr;
    if (!token_) {
      try {
        token_.emplace(queue);
      } catch (...) {
        unlock();
        throw;
      }
    }
    return &*token_;
  }

  /// Like try_lock, but waits for an operation on another thread to finish
  /// with it (a few instructions, unless that thread was preempted: then
  /// this one yields).
  template <class Queue>
  Token& lock(Queue& queue) {
    for (unsigned spins = 0;; ++spins) {
      if (Token* t = try_lock(queue)) return *t;
      while (busy_.load(std::memory_order_relaxed)) {
        if (++spins >= 64) {
          std::this_thread::yield();
        } else {
          cpu_relax();
        }
      }
    }
  }

  void unlock() noexcept { busy_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> busy_{false};
  std::optional<Token> token_;
};

/// The token of a handle whose channel needs none (the MPSC channel, whose
/// queue keeps every sender's order by itself).
struct NoHandleToken {
  void swap(NoHandleToken&) noexcept {}
  void reset() noexcept {}
};

}  // namespace troupe::detail
