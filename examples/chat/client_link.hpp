#pragma once

#include <cstddef>
#include <span>

#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/task.hpp>

namespace chat {

/// The byte stream between the server and one IRC client: what a Session
/// reads the client's lines from and its Outbox writes to. A TCP socket in
/// the server (TcpClientLink); an in-memory pipe in tests and simulations,
/// where there is no socket (tests/chat/memory_link.hpp).
///
/// Shared (shared_ptr) by the session's reader and its outbox's writer:
/// one read and one write may be in flight at once, each from one task;
/// shutdown from either.
class ClientLink {
 public:
  virtual ~ClientLink() = default;

  /// Up to buffer.size() bytes from the client; 0 once it has closed its
  /// side (or this side was shut down), an error if the connection failed.
  virtual troupe::Task<troupe::IoResult<std::size_t>> read(std::span<std::byte> buffer) = 0;
  /// All of `bytes` to the client, or an error (the connection failed).
  virtual troupe::Task<troupe::IoResult<void>> write_all(std::span<const std::byte> bytes) = 0;
  /// Ends the connection both ways: the client sees the end after what was
  /// written, and a read here returns 0.
  virtual void shutdown() noexcept = 0;
};

}  // namespace chat
