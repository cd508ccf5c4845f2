// Seeds of troupe-remote-frame-fuzzer: a peer's side of the gRPC stream,
// as a node encodes it (a handshake that knows the secret, then batches of
// every envelope a node handles: tells and asks to the published actor,
// node requests, replies to the node's own asks, Downs), handshakes that
// must fail, and streams that gRPC or protobuf must refuse.

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include <google/protobuf/message_lite.h>

#include <troupe/proto/codec.hpp>
#include <troupe/v1/cluster.pb.h>

#include "fuzz_messages.pb.h"
#include "grpc_framing.hpp"
#include "peer_frames.hpp"
#include "remote_fixture.hpp"
#include "seeds.hpp"
#include "wire_bytes.hpp"

namespace troupe::fuzz {

namespace {

namespace v1 = troupe::v1;

std::string after_handshake(std::initializer_list<v1::Frame> frames) {
  return stream({hello(), proof()}) + stream(frames);
}

v1::Envelope to(std::uint64_t actor, const google::protobuf::MessageLite& m,
                v1::Envelope::Kind kind = v1::Envelope::TELL, std::uint64_t correlation = 0) {
  v1::Envelope e = proto::encode(m, kind);
  e.mutable_target()->set_actor(actor);
  e.mutable_sender()->set_node(kPeerIncarnation);
  e.set_correlation_id(correlation);
  return e;
}

v1::Envelope garbled(v1::Envelope e) {
  e.set_payload("\x0a\x80");  // a length that never ends
  return e;
}

fuzzing::Tree tree() {
  fuzzing::Tree t;
  t.add_children()->set_label("leaf");
  t.add_children()->add_children()->set_number(3);
  return t;
}

v1::Lookup lookup(std::string name, std::string type = "fuzzing.Tree") {
  v1::Lookup l;
  l.set_name(std::move(name));
  l.add_message_types(std::move(type));
  return l;
}

v1::Monitor monitor(std::uint64_t actor) {
  v1::Monitor m;
  m.set_actor(actor);
  return m;
}

v1::Down down(std::uint64_t actor) {
  v1::Down d;
  d.mutable_actor()->set_node(kPeerIncarnation);
  d.mutable_actor()->set_actor(actor);
  d.mutable_reason()->set_kind(v1::ExitReason::FAILED);
  d.mutable_reason()->set_error("boom");
  return d;
}

v1::AskFailure failure(int code) {
  v1::AskFailure f;
  f.set_code(static_cast<v1::AskFailure::Code>(code));
  f.set_detail("no");
  return f;
}

}  // namespace

Seeds remote_frame_seeds() {
  using E = v1::Envelope;
  fuzzing::Scalars scalars;
  scalars.set_i64(-1);
  fuzzing::Scalars failing;
  failing.set_fail(true);
  fuzzing::Text text;
  text.set_text("hi");
  E deadline_future = to(kPublishedActor, text, E::ASK, 11);
  deadline_future.set_deadline_unix_nanos(std::numeric_limits<std::int64_t>::max());
  E deadline_past = to(kPublishedActor, tree(), E::ASK, 13);
  deadline_past.set_deadline_unix_nanos(1);
  E stale_tell = to(kPublishedActor, scalars);
  stale_tell.mutable_target()->set_node(12345);
  E stale_ask = to(kPublishedActor, tree(), E::ASK, 14);
  stale_ask.mutable_target()->set_node(12345);
  E unknown_kind = to(kPublishedActor, scalars);
  unknown_kind.set_kind(static_cast<E::Kind>(7));
  v1::LookupReply found;
  found.set_status(v1::LookupReply::FOUND);
  found.set_actor(kRemoteActor);
  fuzzing::Summary summary;
  summary.set_nodes(1);

  Seeds s;
  // A peer that knows the secret.
  s.push_back({"handshake-only", stream({hello(), proof()})});
  s.push_back({"tells-to-published",
               after_handshake({batch({to(kPublishedActor, scalars), to(kPublishedActor, text),
                                       to(kPublishedActor, tree())})})});
  s.push_back(
      {"asks-to-published",
       after_handshake({batch({to(kPublishedActor, tree(), E::ASK, 10), deadline_future,
                               to(kPublishedActor, failing, E::ASK, 12), deadline_past})})});
  s.push_back(
      {"lookups", after_handshake({batch(
                      {to(0, lookup(std::string(kPublishedName)), E::ASK, 20),
                       to(0, lookup("missing"), E::ASK, 21),
                       to(0, lookup(std::string(kPublishedName), "fuzzing.Nothing"), E::ASK, 22),
                       to(0, lookup(std::string(kPublishedName)))})})});
  s.push_back({"monitors",
               after_handshake({batch({to(0, monitor(kPublishedActor)), to(0, monitor(99))})})});
  s.push_back({"down-of-monitored", after_handshake({batch({to(0, down(kRemoteActor))})})});
  s.push_back({"replies-to-node-asks",
               after_handshake({batch({to(0, found, E::REPLY, kLookupCorrelation),
                                       to(0, summary, E::REPLY, kAskCorrelation)})})});
  s.push_back({"failures-to-node-asks",
               after_handshake(
                   {batch({to(0, failure(v1::AskFailure::TIMEOUT), E::FAILURE, kLookupCorrelation),
                           to(0, failure(99), E::FAILURE, kAskCorrelation)})})});
  s.push_back(
      {"undecodable-replies",
       after_handshake({batch({garbled(to(0, found, E::REPLY, kLookupCorrelation)),
                               garbled(to(0, failure(1), E::FAILURE, kAskCorrelation))})})});
  s.push_back({"undecodable-node-requests",
               after_handshake({batch({garbled(to(0, lookup("x"), E::ASK, 30)),
                                       garbled(to(0, monitor(2))), garbled(to(0, down(7))),
                                       garbled(to(kPublishedActor, tree(), E::ASK, 31))})})});
  s.push_back({"stale-incarnation", after_handshake({batch({stale_tell, stale_ask})})});
  s.push_back({"unknown-node-request",
               after_handshake({batch({to(0, tree(), E::ASK, 40), to(0, scalars)})})});
  s.push_back({"unknown-kind", after_handshake({batch({unknown_kind})})});
  s.push_back(
      {"no-such-actor", after_handshake({batch({to(999, scalars), to(999, tree(), E::ASK, 50)})})});
  s.push_back(
      {"several-frames", after_handshake({batch({to(kPublishedActor, scalars)}), batch({}),
                                          batch({to(kPublishedActor, tree(), E::ASK, 60)})})});

  // Handshakes that must fail.
  s.push_back({"wrong-protocol", stream({hello(std::string(kPeerName), 1), proof()})});
  s.push_back({"short-nonce", stream({hello(std::string(kPeerName), 2, "short"), proof()})});
  s.push_back({"long-name", stream({hello(std::string(300, 'x')), proof()})});
  s.push_back({"no-hello", stream({proof(), proof()})});
  s.push_back({"wrong-proofs", stream({hello(), proof("nope")})});
  // Frames that fail their seal: altered, unsealed, or the handshake again.
  s.push_back({"bad-mac", after_handshake({batch({to(kPublishedActor, scalars)}, "forged")})});
  s.push_back({"unsealed", after_handshake({batch({to(kPublishedActor, scalars)}, "")})});
  s.push_back({"sealed-then-forged",
               after_handshake({batch({to(kPublishedActor, scalars)}),
                                batch({to(kPublishedActor, tree(), E::ASK, 70)}, "forged")})});
  s.push_back({"hello-after-handshake", after_handshake({hello()})});
  s.push_back({"not-welcomed", stream({hello(), proof(std::string(kValidProof), false),
                                       batch({to(kPublishedActor, scalars)})})});
  s.push_back({"peer-renamed", stream({hello("10.0.0.9:7002"), proof()})});
  s.push_back({"hello-twice", stream({hello(), hello(), proof()})});

  // Streams that gRPC or protobuf refuse.
  s.push_back({"empty", ""});
  s.push_back({"truncated-prefix", std::string("\0\0\0", 3)});
  s.push_back({"huge-length-prefix", std::string("\0\xff\xff\xff\xff", 5) + stream({hello()})});
  s.push_back({"length-over-frame-limit", std::string("\0\x00\x50\x00\x00x", 6)});
  std::string compressed = stream({hello(), proof()});
  compressed[0] = '\1';
  s.push_back({"compressed-flag", compressed});
  std::string not_a_frame;
  put_message(not_a_frame, "\x0a\x80");
  s.push_back({"not-a-frame", not_a_frame});
  std::string nested;
  put_message(nested, wire::len_field(1, wire::varint_field(1, 1)) + wire::nested_groups(15, 2000));
  s.push_back({"deeply-nested-groups", after_handshake({}) + nested});
  std::string bad_name;
  put_message(bad_name,
              wire::len_field(1, wire::varint_field(1, 1) + wire::len_field(2, "\xff\xfe")));
  s.push_back({"invalid-utf8-node-name", bad_name});
  std::string bad_type;
  put_message(bad_type, wire::len_field(4, wire::len_field(5, "fuzzing.\xc0\x80")));
  s.push_back({"invalid-utf8-type-name", after_handshake({}) + bad_type});
  return s;
}

}  // namespace troupe::fuzz
