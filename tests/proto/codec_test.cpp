// The codec: typed messages to envelopes and back, forward compatibility,
// and decoding hostile bytes without crashing.

#include <string>

#include <gtest/gtest.h>

#include <troupe/proto/codec.hpp>
#include <troupe/v1/envelope.pb.h>

#include "testing/messages.pb.h"

namespace {

namespace proto = troupe::proto;
using proto::DecodeError;

TEST(Codec, EveryFrameworkMessageRoundTrips) {
  troupe::v1::Down down;
  down.mutable_actor()->set_actor(7);
  down.mutable_reason()->set_kind(troupe::v1::ExitReason::FAILED);
  down.mutable_reason()->set_error("boom");
  auto back = proto::decode<troupe::v1::Down>(proto::encode(down));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->actor().actor(), 7u);
  EXPECT_EQ(back->reason().error(), "boom");

  troupe::v1::Exit exit;
  exit.mutable_reason()->set_kind(troupe::v1::ExitReason::LINKED);
  EXPECT_EQ(proto::decode<troupe::v1::Exit>(proto::encode(exit))->reason().kind(),
            troupe::v1::ExitReason::LINKED);

  troupe::v1::AskFailure failure;
  failure.set_code(troupe::v1::AskFailure::UNDECODABLE);
  failure.set_detail("x");
  EXPECT_EQ(proto::decode<troupe::v1::AskFailure>(proto::encode(failure))->detail(), "x");
}

TEST(Codec, AnEnvelopeCarriesTheTypeNameAndSurvivesTheWire) {
  testing::Deposit d;
  d.set_cents(1234);
  troupe::v1::Envelope e = proto::encode(d, troupe::v1::Envelope::ASK);
  e.set_correlation_id(99);
  EXPECT_EQ(e.type_name(), "testing.Deposit");
  const std::string wire = e.SerializeAsString();
  auto decoded = proto::decode_envelope(wire);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->kind(), troupe::v1::Envelope::ASK);
  EXPECT_EQ(decoded->correlation_id(), 99u);
  EXPECT_EQ(proto::decode<testing::Deposit>(*decoded)->cents(), 1234);
}

TEST(Codec, FieldsFromANewerSenderArePreservedThroughAnOlderReader) {
  testing::DepositV2 newer;
  newer.set_cents(5);
  newer.set_memo("rent");
  auto e = proto::encode(newer);
  e.set_type_name(proto::type_name<testing::Deposit>());  // the same message, an older schema
  auto older = proto::decode<testing::Deposit>(e);
  ASSERT_TRUE(older);
  EXPECT_EQ(older->cents(), 5);
  // Re-encoded by the older reader, the unknown memo is still there.
  auto again = proto::encode(*older);
  again.set_type_name(proto::type_name<testing::DepositV2>());
  auto roundtrip = proto::decode<testing::DepositV2>(again);
  ASSERT_TRUE(roundtrip);
  EXPECT_EQ(roundtrip->memo(), "rent");
}

TEST(Codec, AnotherTypeNameIsATypeMismatch) {
  testing::Deposit d;
  auto r = proto::decode<testing::Withdraw>(proto::encode(d));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), DecodeError::kTypeMismatch);
  EXPECT_NE(r.detail().find("testing.Deposit"), std::string::npos);
}

TEST(Codec, ValueWithoutAMessageThrowsDecodeFailedWithTheDetail) {
  testing::Deposit d;
  const auto r = proto::decode<testing::Withdraw>(proto::encode(d));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failure().code, DecodeError::kTypeMismatch);
  try {
    (void)r.value();
    FAIL() << "value() should have thrown";
  } catch (const proto::DecodeFailed& e) {
    EXPECT_EQ(e.error(), DecodeError::kTypeMismatch);
    EXPECT_EQ(std::string(e.what()), "troupe: decode failed: type mismatch: " + r.detail());
  }
}

TEST(Codec, MalformedBytesAreAnErrorNotACrash) {
  troupe::v1::Envelope e;
  e.set_type_name("testing.Deposit");
  e.set_payload(
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12));  // a varint too long
  auto r = proto::decode<testing::Deposit>(e);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), DecodeError::kMalformed);
  auto garbage = proto::decode_envelope(std::string("\xff\xff\xff", 3));
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error(), DecodeError::kMalformed);
}

TEST(Codec, APayloadOverTheLimitIsRefusedBeforeParsing) {
  testing::DepositV2 big;
  big.set_memo(std::string(2000, 'x'));
  auto e = proto::encode(big);
  auto r = proto::decode<testing::DepositV2>(e, {.max_bytes = 1000});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), DecodeError::kTooLarge);
  EXPECT_TRUE(proto::decode<testing::DepositV2>(e, {.max_bytes = 4000}));
}

TEST(Codec, NestingDeeperThanTheLimitIsRefused) {
  auto nested = [](int depth) {
    testing::Tree root;
    testing::Tree* t = &root;
    for (int i = 0; i < depth; ++i) t = t->mutable_child();
    t->set_value(1);
    return proto::encode(root);
  };
  EXPECT_TRUE(proto::decode<testing::Tree>(nested(30), {.max_depth = 64}));
  auto deep = proto::decode<testing::Tree>(nested(100), {.max_depth = 64});
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error(), DecodeError::kTooDeep);
  // Hostile bytes, far deeper than any limit (built by hand: encoding such
  // a message would itself recurse that deep): an error, no stack overflow.
  auto nested_by_hand = [](int levels) {
    std::string bytes;
    for (int i = 0; i < levels; ++i) {
      std::string level = "\x0a";  // field 1 (child), length-delimited
      for (std::size_t n = bytes.size();; n >>= 7) {
        level += static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
        if (n < 0x80) break;
      }
      bytes = level + bytes;
    }
    return bytes;
  };
  const std::string bytes = nested_by_hand(3000);
  troupe::v1::Envelope hostile;
  hostile.set_type_name("testing.Tree");
  hostile.set_payload(bytes);
  auto refused = proto::decode<testing::Tree>(hostile, {.max_depth = 64});
  ASSERT_FALSE(refused);
  // Malformed, not too deep: telling the two apart parses again with a
  // depth only a few times the limit (never unbounded, which is what would
  // overflow the stack), and 3000 levels are far past that too.
  EXPECT_EQ(refused.error(), DecodeError::kMalformed);
  // The same nesting kept within that second depth (100 levels, hand-built
  // like the hostile one) is told apart as too deep.
  troupe::v1::Envelope deep_envelope;
  deep_envelope.set_type_name("testing.Tree");
  deep_envelope.set_payload(nested_by_hand(100));
  auto too_deep = proto::decode<testing::Tree>(deep_envelope, {.max_depth = 64});
  ASSERT_FALSE(too_deep);
  EXPECT_EQ(too_deep.error(), DecodeError::kTooDeep);
}

}  // namespace
