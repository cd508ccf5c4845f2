// libFuzzer target: the bytes of one envelope, as a peer or any other
// untrusted source hands them over, decoded (decode_envelope, default
// limits) and dispatched into a real actor through AnyRef by tell and by
// ask. Bad bytes must come back as an error value, never reach the actor,
// and never crash, leak or hang.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/proto/any_ref.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "fuzz_actor.hpp"
#include "fuzz_check.hpp"

namespace {

using troupe::AskError;
using troupe::AskResult;
using troupe::Task;
using troupe::proto::DecodeError;
namespace v1 = troupe::v1;

constexpr auto kAskTimeout = std::chrono::seconds(1);
// Top-level restarts count within this window; the clock moves past it
// after every input, so one input's failures never add up with the next's.
constexpr auto kRestartWindow = std::chrono::seconds(1);

// What outlives one input. The executor is deterministic, with a virtual
// clock: an input is finished when nothing is left to run, and a reply that
// never comes is a timeout after kAskTimeout of virtual time, not a hang.
struct Harness {
  troupe::TestExecutor executor;
  troupe::ActorSystem system{executor, options()};
  troupe::ActorRef<troupe::fuzz::FuzzActor> actor = system.spawn<troupe::fuzz::FuzzActor>();
  troupe::proto::AnyRef any{actor};

  // A handler that throws restarts the actor, so that it serves every input.
  static troupe::ActorSystemOptions options() {
    troupe::ActorSystemOptions o;
    o.top_level = troupe::SupervisorStrategy::one_for_one(8, kRestartWindow);
    return o;
  }
};

Harness& harness() {
  static Harness h;
  return h;
}

Task<AskResult<v1::Envelope>> ask(troupe::proto::AnyRef any, v1::Envelope e) {
  co_return co_await any.ask(e, kAskTimeout);
}

void check_refusal(DecodeError error, const std::string& detail) {
  FUZZ_CHECK(error == DecodeError::kTooLarge || error == DecodeError::kTooDeep ||
                 error == DecodeError::kMalformed,
             "an envelope is refused as too large, too deep or malformed");
  FUZZ_CHECK(detail.find("troupe.v1.Envelope") != std::string::npos,
             "the refusal names what could not be decoded");
}

void check_reply(const v1::Envelope& sent, AskResult<v1::Envelope>& reply) {
  if (!reply) {
    // Decoded but the handler threw: the only other way an ask can end here.
    FUZZ_CHECK(reply.error() == AskError::kFailed && sent.type_name() == "fuzzing.Scalars",
               "a decoded ask fails only when its handler throws");
    return;
  }
  FUZZ_CHECK(reply->kind() == v1::Envelope::REPLY, "an answer is a REPLY envelope");
  if (sent.type_name() != "fuzzing.Tree") return;
  auto summary = troupe::proto::decode<fuzzing::Summary>(*reply);
  FUZZ_CHECK(summary.has_value(), "the actor's reply decodes");
  FUZZ_CHECK(
      summary->depth() <= static_cast<std::uint64_t>(troupe::proto::DecodeLimits{}.max_depth),
      "no message deeper than the nesting limit reaches a handler");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a string field is logged by protobuf on every parse.
  google::protobuf::SetLogHandler(nullptr);
  harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = harness();
  auto decoded =
      troupe::proto::decode_envelope(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!decoded) {
    check_refusal(decoded.error(), decoded.detail());
    return 0;
  }
  const v1::Envelope& e = *decoded;
  FUZZ_CHECK(troupe::proto::decode_envelope(e.SerializeAsString()).has_value(),
             "a decoded envelope, encoded again, decodes");

  const bool accepted = h.any.accepts(e.type_name());
  const auto told = h.any.tell(e);
  FUZZ_CHECK(accepted || told.error == DecodeError::kUnknownType,
             "a type without a handler is refused as unknown");
  FUZZ_CHECK(told.error || told.status == troupe::TellStatus::kQueued, "a decoded tell is queued");

  AskResult<v1::Envelope> reply = h.executor.block_on(ask(h.any, e));
  if (told.error) {
    FUZZ_CHECK(!reply && reply.error() == AskError::kBadMessage,
               "what a tell could not decode, an ask refuses as a bad message");
  } else {
    check_reply(e, reply);
  }

  h.executor.advance_and_run(2 * kRestartWindow);
  FUZZ_CHECK(h.system.live_actors() == 1, "the actor lives on, restarted if it failed");
  FUZZ_CHECK(h.executor.ready_tasks() == 0 && h.executor.pending_timers() == 0,
             "nothing of the input is left running or waiting");
  return 0;
}
