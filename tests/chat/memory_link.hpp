#pragma once

// An in-memory connection between a chat client and the server, for tests
// and simulations where there is no socket (a SimScheduler has no I/O
// reactor). Header only.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/task.hpp>

#include "chat/client_link.hpp"

namespace chat::test {

/// One end of an in-memory connection: what one end writes, the other
/// reads, in order; a shutdown of either end is the end of the stream for
/// the other (after what was written before it) and ends this end's reads.
/// Writes never wait (the pipe is unbounded: a test's clients are few).
/// Made in pairs by MemoryLink::pair. The framework's channels carry the
/// bytes, so a waiting read is woken as any task is: it works on a Runtime
/// and on a SimScheduler alike. One reader and one writer at a time;
/// shutdown from anywhere.
class MemoryLink final : public ClientLink {
 public:
  /// Two connected ends (a client's and the server's).
  static std::pair<std::shared_ptr<MemoryLink>, std::shared_ptr<MemoryLink>> pair() {
    auto [a_tx, a_rx] = troupe::channel::mpsc::unbounded<std::string>();  // to a
    auto [b_tx, b_rx] = troupe::channel::mpsc::unbounded<std::string>();  // to b
    auto a = std::shared_ptr<MemoryLink>(new MemoryLink(std::move(a_rx), std::move(b_tx)));
    auto b = std::shared_ptr<MemoryLink>(new MemoryLink(std::move(b_rx), std::move(a_tx)));
    return {std::move(a), std::move(b)};
  }

  troupe::Task<troupe::IoResult<std::size_t>> read(std::span<std::byte> buffer) override {
    if (offset_ == pending_.size()) {
      if (shut_.load()) co_return std::size_t{0};
      auto r = co_await troupe::select(in_.next(), stop_rx_.next());
      if (r.index() == 1) co_return std::size_t{0};  // shut down here
      std::optional<std::string>& chunk = std::get<0>(r);
      if (!chunk) co_return std::size_t{0};  // the other end shut down
      pending_ = std::move(*chunk);
      offset_ = 0;
    }
    const std::size_t n = std::min(buffer.size(), pending_.size() - offset_);
    std::memcpy(buffer.data(), pending_.data() + offset_, n);
    offset_ += n;
    co_return n;
  }

  troupe::Task<troupe::IoResult<void>> write_all(std::span<const std::byte> bytes) override {
    std::string chunk(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (shut_.load() || !out_.try_send(std::move(chunk)))
      co_return troupe::IoResult<void>(std::errc::broken_pipe);
    co_return troupe::IoResult<void>();
  }

  void shutdown() noexcept override {
    shut_.store(true);
    out_.close();
    stop_tx_.close();
  }

 private:
  MemoryLink(troupe::MpscReceiver<std::string> in, troupe::MpscSender<std::string> out)
      : in_(std::move(in)), out_(std::move(out)) {
    auto [tx, rx] = troupe::channel::mpsc::unbounded<bool>();
    stop_tx_ = std::move(tx);
    stop_rx_ = std::move(rx);
  }

  troupe::MpscReceiver<std::string> in_;
  troupe::MpscSender<std::string> out_;
  troupe::MpscSender<bool> stop_tx_;  // closed by shutdown: ends a waiting read
  troupe::MpscReceiver<bool> stop_rx_;
  std::atomic<bool> shut_{false};
  std::string pending_;  // the chunk being read, from offset_ on
  std::size_t offset_ = 0;
};

}  // namespace chat::test
