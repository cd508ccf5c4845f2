#pragma once

#include <cstddef>

namespace troupe {

/// What a bounded mailbox does with a message that finds it full.
enum class Overflow : unsigned char {
  kBackpressure,  // `co_await ref.send(m)` and ask() wait for room; tell() refuses (kFull)
  kFail,          // tell(), send() and ask() refuse it at once (kFull)
  kDrop,          // it is dropped (counted as a dead letter), as with kFail
};

/// The size and overflow policy of an actor's mailbox. Unbounded by default
/// (an explicit choice: nothing then limits memory but the senders).
struct MailboxOptions {
  static constexpr std::size_t kUnbounded = ~std::size_t{0};
  std::size_t capacity = kUnbounded;
  Overflow overflow = Overflow::kBackpressure;

  static MailboxOptions unbounded() noexcept { return {}; }
  static MailboxOptions bounded(std::size_t capacity,
                                Overflow overflow = Overflow::kBackpressure) noexcept {
    return {capacity, overflow};
  }
};

}  // namespace troupe
