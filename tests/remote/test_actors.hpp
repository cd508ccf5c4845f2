#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>

#include <troupe/actor/actor.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>

#include "remote_test.pb.h"

namespace remote_test {

/// The cluster secret of the test nodes (a node refuses one under 32 bytes).
inline constexpr const char* kSecret = "remote-tests-secret-0123456789abcdef";

/// Answers Ping with Pong{n + 1}, and Slow after a while.
struct Echo : troupe::Actor<Echo> {
  using messages = troupe::proto::Messages<Ping, Slow, Quit>;
  void handle(const Quit&) { stop(); }
  // Handled, but cannot come from another node: Pong is not listed in
  // `messages`, and an int is no protobuf message.
  void handle(const Pong&) {}
  void handle(int) {}
  Pong handle(const Ping& p) {
    Pong r;
    r.set_n(p.n() + 1);
    return r;
  }
  troupe::Task<Pong> handle(Slow s) {
    co_await troupe::sleep_for(std::chrono::milliseconds(s.millis()));
    Pong r;
    r.set_n(s.millis());
    co_return r;
  }
};

/// Counts Seq messages and the ones out of order per sender.
struct OrderCheck : troupe::Actor<OrderCheck> {
  using messages = troupe::proto::Messages<Seq, Report>;
  void handle(const Seq& s) {
    auto& next = next_[s.sender()];
    if (s.seq() != next) ++reorders_;
    next = s.seq() + 1;
    ++received_;
  }
  Counts handle(const Report&) {
    Counts c;
    c.set_received(received_);
    c.set_reorders(reorders_);
    return c;
  }
  std::unordered_map<std::uint32_t, std::uint64_t> next_;
  std::uint64_t received_ = 0;
  std::uint64_t reorders_ = 0;
};

}  // namespace remote_test
