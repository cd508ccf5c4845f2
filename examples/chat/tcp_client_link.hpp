#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/tcp_stream.hpp>

#include "chat/client_link.hpp"

namespace chat {

/// A client's link on an accepted TCP socket (what troupe-chat serves).
/// Thread-safety as ClientLink.
class TcpClientLink final : public ClientLink {
 public:
  explicit TcpClientLink(troupe::TcpStream stream) : stream_(std::move(stream)) {}

  troupe::Task<troupe::IoResult<std::size_t>> read(std::span<std::byte> buffer) override {
    co_return co_await stream_.read(buffer);
  }
  troupe::Task<troupe::IoResult<void>> write_all(std::span<const std::byte> bytes) override {
    co_return co_await stream_.write_all(bytes);
  }
  void shutdown() noexcept override { (void)stream_.shutdown(troupe::Shutdown::kBoth); }

  /// The socket, for its options (TCP_NODELAY, SO_SNDBUF).
  troupe::TcpStream& socket() noexcept { return stream_; }

 private:
  troupe::TcpStream stream_;
};

}  // namespace chat
