// Seeds of troupe-envelope-fuzzer: envelopes as a sender encodes them for
// the fuzz actor (each handler kind, tell and ask, at the nesting limit and
// past it), and the malformed shapes decode_envelope must refuse.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <troupe/proto/codec.hpp>

#include "fuzz_messages.pb.h"
#include "seeds.hpp"
#include "wire_bytes.hpp"

namespace troupe::fuzz {

namespace {

namespace v1 = troupe::v1;

// Envelope field numbers (proto/troupe/v1/envelope.proto).
constexpr std::uint32_t kCorrelationField = 4;
constexpr std::uint32_t kTypeNameField = 5;
constexpr std::uint32_t kPayloadField = 6;

std::string bytes_of(const v1::Envelope& e) { return e.SerializeAsString(); }

fuzzing::Scalars extremes() {
  fuzzing::Scalars s;
  s.set_i32(std::numeric_limits<std::int32_t>::min());
  s.set_i64(std::numeric_limits<std::int64_t>::min());
  s.set_u32(std::numeric_limits<std::uint32_t>::max());
  s.set_u64(std::numeric_limits<std::uint64_t>::max());
  s.set_s32(-1);
  s.set_s64(std::numeric_limits<std::int64_t>::min());
  s.set_f32(0x01020304);
  s.set_f64(0x0102030405060708);
  s.set_sf32(-2);
  s.set_sf64(-3);
  s.set_f(std::numeric_limits<float>::infinity());
  s.set_d(std::nan(""));
  s.set_color(fuzzing::BLUE);
  return s;
}

fuzzing::Text text() {
  fuzzing::Text t;
  t.set_text("h\xc3\xa9llo, w\xc3\xb6rld");
  t.set_data(std::string("\0\xff\x01", 3));
  t.add_words("one");
  t.add_words("");
  t.add_numbers(-1);
  t.add_numbers(std::numeric_limits<std::int64_t>::max());
  t.add_codes(7);
  (*t.mutable_counts())["k"] = -5;
  return t;
}

// A chain of `levels` children below the root.
fuzzing::Tree chain(int levels) {
  fuzzing::Tree root;
  fuzzing::Tree* at = &root;
  for (int i = 0; i < levels; ++i) at = at->add_children();
  at->set_number(levels);
  return root;
}

fuzzing::Tree bushy() {
  fuzzing::Tree t;
  t.add_children()->set_label("leaf");
  *t.add_children()->mutable_scalars() = extremes();
  t.add_children()->add_children()->set_number(-7);
  return t;
}

v1::Envelope addressed(v1::Envelope e) {
  e.mutable_target()->set_node(0x1122334455667788);
  e.mutable_target()->set_actor(1);
  e.mutable_target()->set_name("fuzz");
  e.mutable_sender()->set_node(42);
  e.mutable_sender()->set_actor(9);
  e.set_correlation_id(std::numeric_limits<std::uint64_t>::max());
  e.set_deadline_unix_nanos(std::numeric_limits<std::int64_t>::min());
  return e;
}

v1::Envelope with_type(std::string type_name, std::string payload) {
  v1::Envelope e;
  e.set_kind(v1::Envelope::ASK);
  e.set_type_name(std::move(type_name));
  e.set_payload(std::move(payload));
  return e;
}

// Raw envelope bytes of an ASK for `type_name` with `payload`, bypassing
// the encoder (which would refuse invalid UTF-8).
std::string raw_ask(std::string_view type_name, std::string_view payload) {
  return wire::varint_field(1, v1::Envelope::ASK) + wire::len_field(kTypeNameField, type_name) +
         wire::len_field(kPayloadField, payload);
}

}  // namespace

Seeds envelope_seeds() {
  const fuzzing::Tree depth_limit = chain(proto::DecodeLimits{}.max_depth);
  fuzzing::Scalars failing = extremes();
  failing.set_fail(true);
  v1::Envelope newer = proto::encode(text(), v1::Envelope::ASK);
  newer.set_payload(newer.payload() + wire::every_wire_type(100));
  const std::string valid = bytes_of(proto::encode(bushy(), v1::Envelope::ASK));

  Seeds s;
  // What a well-behaved sender sends.
  s.push_back({"tell-scalars", bytes_of(proto::encode(extremes()))});
  s.push_back({"ask-scalars-handler-throws", bytes_of(proto::encode(failing, v1::Envelope::ASK))});
  s.push_back({"ask-text-coroutine-handler", bytes_of(proto::encode(text(), v1::Envelope::ASK))});
  s.push_back({"ask-tree", valid});
  s.push_back({"ask-tree-at-depth-limit", bytes_of(proto::encode(depth_limit, v1::Envelope::ASK))});
  s.push_back({"ask-tree-one-too-deep",
               bytes_of(proto::encode(chain(proto::DecodeLimits{}.max_depth + 1)))});
  s.push_back({"ask-tree-far-too-deep", bytes_of(proto::encode(chain(400), v1::Envelope::ASK))});
  s.push_back({"addressed-with-deadline", bytes_of(addressed(proto::encode(bushy())))});
  s.push_back({"reply-kind", bytes_of(proto::encode(text(), v1::Envelope::REPLY))});
  fuzzing::Summary summary;
  summary.set_nodes(3);
  s.push_back({"failure-kind", bytes_of(proto::encode(summary, v1::Envelope::FAILURE))});
  v1::Envelope unknown_kind = proto::encode(extremes());
  unknown_kind.set_kind(static_cast<v1::Envelope::Kind>(99));
  s.push_back({"unknown-kind", bytes_of(unknown_kind)});
  s.push_back({"unknown-type", bytes_of(with_type("fuzzing.Nothing", "\x08\x01"))});
  s.push_back({"no-reply-type", bytes_of(proto::encode(summary, v1::Envelope::ASK))});
  s.push_back({"newer-sender-fields", bytes_of(newer) + wire::every_wire_type(20)});

  // What a hostile or broken sender sends.
  s.push_back({"empty", ""});
  s.push_back(
      {"truncated-varint", valid + wire::tag(kCorrelationField, wire::kVarint) + "\x80\x80"});
  s.push_back({"overlong-varint",
               wire::tag(kCorrelationField, wire::kVarint) + std::string(10, '\x80') + "\x01"});
  s.push_back({"huge-length-prefix", wire::tag(kTypeNameField, wire::kLen) +
                                         wire::varint(0xffffffffull) + "fuzzing.Tree"});
  s.push_back({"length-past-end",
               wire::tag(kPayloadField, wire::kLen) + wire::varint(100) + "\x08\x01\x10"});
  s.push_back({"deeply-nested-groups", valid + wire::nested_groups(15, 2000)});
  s.push_back({"unterminated-group", valid + wire::tag(15, wire::kStartGroup)});
  s.push_back({"stray-end-group", wire::tag(15, wire::kEndGroup) + valid});
  s.push_back({"invalid-wire-types", wire::tag(16, 6) + "\x01" + wire::tag(17, 7) + "\x01"});
  s.push_back({"field-number-zero", wire::tag(0, wire::kVarint) + "\x01" + valid});
  s.push_back({"field-number-max", wire::varint_field((1u << 29) - 1, 1) + valid});
  s.push_back({"invalid-utf8-type-name", raw_ask("fuzzing.\xff\xfeTree", "")});
  s.push_back({"invalid-utf8-in-payload",
               raw_ask("fuzzing.Text", wire::len_field(1, "\xc0\x80\xed\xa0\x80"))});
  s.push_back({"nul-in-type-name", raw_ask(std::string_view("fuzzing.Tree\0x", 14), "")});
  s.push_back({"overlong-type-name", raw_ask(std::string(3000, 'x'), "")});
  s.push_back({"truncated-packed-field",
               raw_ask("fuzzing.Text", wire::len_field(4, "\x02\x80") + "\x2a\x01")});
  s.push_back(
      {"garbage-map-entry", raw_ask("fuzzing.Text", wire::len_field(6, wire::tag(3, 1) + "\x01"))});
  s.push_back({"wrong-wire-type-for-field",
               raw_ask("fuzzing.Scalars", wire::len_field(1, "abc") + wire::varint_field(11, 1))});
  return s;
}

}  // namespace troupe::fuzz
