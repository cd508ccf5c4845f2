#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <utility>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/trace_context.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/remote/node.hpp>
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

/// Passes each TraceSeen, and the trace its handler runs under, to `seen`.
struct TraceSink : troupe::Actor<TraceSink> {
  using messages = troupe::proto::Messages<TraceSeen>;
  using Seen = std::function<void(const TraceSeen&, std::optional<troupe::TraceContext>)>;
  explicit TraceSink(Seen seen) : seen(std::move(seen)) {}
  void handle(const TraceSeen& m) { seen(m, troupe::current_trace()); }
  Seen seen;
};

/// Answers a TraceProbe with the trace its handler runs under, and tells
/// the same to the TraceSink the probe names (if any), on whichever node:
/// with it, a trace crosses to this node and back.
struct TraceEcho : troupe::Actor<TraceEcho> {
  using messages = troupe::proto::Messages<TraceProbe>;
  explicit TraceEcho(troupe::remote::Node* node) : node(node) {}
  TraceSeen handle(const TraceProbe& p) {
    TraceSeen seen;
    if (auto t = troupe::current_trace()) seen.set_traceparent(t->to_traceparent());
    if (p.actor() != 0) node->ref<TraceSink>(p.node(), p.incarnation(), p.actor()).tell(seen);
    return seen;
  }
  troupe::remote::Node* node;
};

}  // namespace remote_test
