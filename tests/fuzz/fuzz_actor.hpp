// The actor that fuzzed envelopes are dispatched into, by the envelope and
// remote-frame targets: a real actor with one handler of each kind (void,
// a protobuf reply, a coroutine, one that throws), so that every path from
// decoded bytes to a handler and back to a reply runs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include <troupe/actor/actor.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/yield.hpp>

#include "fuzz_messages.pb.h"

namespace troupe::fuzz {

struct FuzzActor : Actor<FuzzActor> {
  using messages = proto::Messages<fuzzing::Scalars, fuzzing::Text, fuzzing::Tree>;

  std::uint64_t seen = 0;

  void handle(const fuzzing::Scalars& s) {
    ++seen;
    if (s.fail()) throw std::runtime_error("asked to fail");
  }

  troupe::Task<fuzzing::Summary> handle(const fuzzing::Text& t) {
    co_await troupe::yield_now();
    fuzzing::Summary s;
    s.set_nodes(1 + t.words_size() + t.counts_size());
    s.set_bytes(t.ByteSizeLong());
    co_return s;
  }

  fuzzing::Summary handle(const fuzzing::Tree& t) {
    fuzzing::Summary s;
    s.set_bytes(t.ByteSizeLong());
    s.set_depth(walk(t, s));
    return s;
  }

  // Counts the nodes into `s`; returns the message levels below `t`.
  static std::uint64_t walk(const fuzzing::Tree& t, fuzzing::Summary& s) {
    s.set_nodes(s.nodes() + 1);
    std::uint64_t below = t.has_scalars() ? 1 : 0;
    for (const auto& child : t.children()) below = std::max(below, 1 + walk(child, s));
    return below;
  }
};

}  // namespace troupe::fuzz
