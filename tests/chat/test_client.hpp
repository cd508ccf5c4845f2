#pragma once

// A scripted IRC client for the chat tests: a real TCP connection (or any
// ClientLink: an in-memory one, tests/chat/memory_link.hpp), that sends
// lines and waits (with a timeout, never a sleep) for the lines it
// expects. Header only.

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/socket_address.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/tcp_stream.hpp>

#include "chat/client_link.hpp"
#include "chat/line_reader.hpp"
#include "chat/tcp_client_link.hpp"

// gtest's ASSERT_* return from the function: in a coroutine, co_return.
// Shared by the chat tests that drive clients from coroutines. A scenario
// is a Task<chat::test::Ending>: CO_ASSERT stops it with kStopped, and its
// last statement is `co_return kRanToTheEnd;`, which the TEST checks (see
// ran_to_the_end): a scenario that stopped early, or whose body never ran,
// fails.
// The condition is bound to a variable before the `if`: g++ 12.2 miscompiles
// a co_await of a temporary inside an if condition (resuming re-suspends it,
// the rest of the body never runs; tests/runtime/compiler_coroutine_test.cpp).
#define CO_ASSERT(cond, ...)                               \
  do {                                                     \
    const bool co_assert_holds_ = static_cast<bool>(cond); \
    if (!co_assert_holds_) {                               \
      ADD_FAILURE() << "failed: " #cond " "                \
                    << "" __VA_ARGS__;                     \
      co_return ::chat::test::Ending::kStopped;            \
    }                                                      \
  } while (0)

namespace chat::test {

using namespace std::chrono_literals;

/// How a scenario coroutine ended: at its last statement, or at a CO_ASSERT.
enum class Ending { kStopped, kRanToTheEnd };
inline constexpr Ending kRanToTheEnd = Ending::kRanToTheEnd;

/// What each TEST asserts about its scenario: that it ran to its end.
inline ::testing::AssertionResult ran_to_the_end(Ending ending) {
  if (ending == Ending::kRanToTheEnd) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "the scenario stopped before its end (a failed CO_ASSERT, or its body cut short)";
}

/// One client connection. Used by one task at a time; every line it
/// receives is kept in `log` (for failure messages).
class TestClient {
 public:
  static constexpr troupe::Duration kTimeout = 10s;

  explicit TestClient(std::shared_ptr<ClientLink> link)
      : link_(std::move(link)), lines_(read_lines(link_, 64 * 1024)) {}

  static troupe::Task<std::optional<TestClient>> connect(troupe::SocketAddress address) {
    auto s = co_await troupe::TcpStream::connect(address);
    if (!s) co_return std::nullopt;
    co_return TestClient(std::make_shared<TcpClientLink>(std::move(*s)));
  }

  /// Writes `line` and CR LF.
  troupe::Task<bool> send(std::string line) {
    line += "\r\n";
    co_return static_cast<bool>(co_await link_->write_all(std::as_bytes(std::span(line))));
  }
  /// Writes bytes as they are.
  troupe::Task<bool> send_raw(std::string bytes) {
    co_return static_cast<bool>(co_await link_->write_all(std::as_bytes(std::span(bytes))));
  }

  /// Reads until a line contains `needle` and gives that line;
  /// std::nullopt if the connection ends or `timeout` passes first.
  troupe::Task<std::optional<std::string>> expect(std::string needle,
                                                  troupe::Duration timeout = kTimeout) {
    return read_until(Match{Match::kAny, {std::move(needle)}}, timeout);
  }
  /// Reads until every one of `needles` has been in some line, in any
  /// order (lines from different actors, e.g. two rooms, may come in any
  /// order).
  troupe::Task<bool> expect_all(std::vector<std::string> needles,
                                troupe::Duration timeout = kTimeout) {
    return found(read_until(Match{Match::kAll, std::move(needles)}, timeout));
  }
  /// Sends a PING and reads up to its PONG: every line the server sent
  /// this client before it handled the PING. std::nullopt on timeout/end.
  troupe::Task<std::optional<std::vector<std::string>>> sync(std::string token = "sync") {
    const std::size_t from = log.size();
    const bool sent = co_await send("PING :" + token);
    if (!sent) co_return std::nullopt;
    auto pong = co_await read_until(pong_of(token), kTimeout);
    if (!pong) co_return std::nullopt;
    co_return std::vector<std::string>(log.begin() + static_cast<std::ptrdiff_t>(from),
                                       log.end() - 1);
  }
  /// NICK and USER, then waits for 001.
  // (No `if (!co_await ...) co_return false;` in these: g++ 12.2 then
  // never gets past that co_await. A named result works; see
  // tests/runtime/compiler_coroutine_test.cpp.)
  troupe::Task<bool> register_as(std::string nick) {
    const bool sent = co_await send("NICK " + nick + "\r\nUSER " + nick + " 0 * :Test " + nick);
    if (!sent) co_return false;
    auto welcome = co_await expect(" 001 " + nick + " ");
    co_return welcome.has_value();
  }
  /// JOIN, then waits for the end of its NAMES list.
  troupe::Task<bool> join(std::string channel) {
    const bool sent = co_await send("JOIN " + channel);
    if (!sent) co_return false;
    auto end = co_await expect(" 366 ");
    co_return end.has_value();
  }
  /// Reads until the server closes the connection: true if it did within
  /// `timeout`.
  troupe::Task<bool> closed(troupe::Duration timeout = kTimeout) {
    (void)co_await read_until(Match{Match::kNever, {}}, timeout);
    co_return ended_;
  }

  /// The socket of a TCP client (its options: linger, buffer sizes).
  troupe::TcpStream& stream() { return dynamic_cast<TcpClientLink&>(*link_).socket(); }

  /// Every line received so far, for failure messages.
  std::string dump() const {
    std::string out;
    for (const auto& l : log) out += "  " + l + "\n";
    return out;
  }

  std::vector<std::string> log;

 private:
  // What a read waits for. A plain struct rather than a lambda: GCC 12
  // miscompiles capturing lambdas handed to coroutines.
  struct Match {
    enum Kind { kAny, kAll, kPong, kNever } kind;
    std::vector<std::string> needles;

    // True once the lines seen so far satisfy it (kAll: crosses off).
    bool operator()(const std::string& line) {
      switch (kind) {
        case kAny:
          return line.find(needles.front()) != std::string::npos;
        case kAll:
          std::erase_if(
              needles, [&line](const std::string& n) { return line.find(n) != std::string::npos; });
          return needles.empty();
        case kPong:
          return line.find(" PONG ") != std::string::npos && line.ends_with(":" + needles.front());
        case kNever:
          break;
      }
      return false;
    }
  };
  static Match pong_of(const std::string& token) { return Match{Match::kPong, {token}}; }

  static troupe::Task<bool> found(troupe::Task<std::optional<std::string>> read) {
    auto line = co_await std::move(read);
    co_return line.has_value();
  }

  troupe::Task<std::optional<std::string>> read_until(Match match, troupe::Duration timeout) {
    if (match.kind == Match::kAll && match.needles.empty()) co_return std::string();
    const troupe::Instant deadline = troupe::Clock::now() + timeout;
    for (;;) {
      auto r = co_await troupe::select(lines_.next(), troupe::sleep_until(deadline));
      if (r.index() == 1) {
        ended_ = false;
        co_return std::nullopt;
      }
      auto& line = std::get<0>(r);
      if (!line) {
        ended_ = true;
        co_return std::nullopt;
      }
      log.push_back(line->too_long ? std::string("<too long>") : line->text);
      if (match(log.back())) co_return log.back();
    }
  }

  std::shared_ptr<ClientLink> link_;
  troupe::Stream<InputLine> lines_;
  bool ended_ = false;  // the last expect stopped at the end of the stream
};

}  // namespace chat::test
