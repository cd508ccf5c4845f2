// TraceContext: the W3C traceparent format both ways, malformed headers
// refused with their reason, new traces and child spans, TraceScope.

#include <set>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include <troupe/actor/trace_context.hpp>
#include <troupe/actor/trace_scope.hpp>

namespace {

using troupe::parse_traceparent;
using troupe::TraceContext;
using troupe::TraceparentError;
using troupe::TraceScope;

// The example of the W3C specification.
constexpr const char* kTraceW3cExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, ParsesTheSpecificationsExampleAndFormatsItBack) {
  auto t = parse_traceparent(kTraceW3cExample);
  ASSERT_TRUE(t) << to_string(t.error());
  EXPECT_EQ(troupe::to_hex(t->trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(troupe::to_hex(t->span_id()), "00f067aa0ba902b7");
  EXPECT_EQ(t->trace_id()[0], 0x4b);
  EXPECT_EQ(t->span_id()[7], 0xb7);
  EXPECT_EQ(t->flags(), 0x01);
  EXPECT_TRUE(t->sampled());
  EXPECT_EQ(t->to_traceparent(), kTraceW3cExample);
}

TEST(TraceContext, RoundTripsNewTracesSampledOrNot) {
  for (bool sampled : {true, false}) {
    const TraceContext t = TraceContext::start(sampled);
    EXPECT_EQ(t.sampled(), sampled);
    const std::string text = t.to_traceparent();
    ASSERT_EQ(text.size(), 55u);
    EXPECT_EQ(text.substr(53), sampled ? "01" : "00");
    auto back = parse_traceparent(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, t);
  }
  // Flags other than sampled are kept as they came.
  auto flags = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fe");
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->flags(), 0xfe);
  EXPECT_FALSE(flags->sampled());
}

TEST(TraceContext, NewTracesAndChildSpansHaveFreshNonZeroIds) {
  std::set<std::string> traces;
  std::set<std::string> spans;
  const TraceContext root = TraceContext::start();
  for (int i = 0; i < 100; ++i) {
    const TraceContext t = TraceContext::start();
    EXPECT_NE(troupe::to_hex(t.trace_id()), std::string(32, '0'));
    EXPECT_NE(troupe::to_hex(t.span_id()), std::string(16, '0'));
    traces.insert(troupe::to_hex(t.trace_id()));
    const TraceContext c = root.child();
    EXPECT_EQ(c.trace_id(), root.trace_id()) << "a child span is in the same trace";
    EXPECT_EQ(c.flags(), root.flags());
    spans.insert(troupe::to_hex(c.span_id()));
  }
  EXPECT_EQ(traces.size(), 100u);
  EXPECT_EQ(spans.size(), 100u);
  EXPECT_EQ(spans.count(troupe::to_hex(root.span_id())), 0u);
}

TEST(TraceContext, MalformedHeadersAreRefusedWithTheirReason) {
  struct Case {
    std::string text;
    TraceparentError error;
  };
  const std::string ok = kTraceW3cExample;
  const Case cases[] = {
      {"", TraceparentError::kLength},
      {ok.substr(0, 54), TraceparentError::kLength},
      {ok + "0", TraceparentError::kLength},
      {ok + "-", TraceparentError::kLength},  // version 00 has no more fields
      {"00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", TraceparentError::kFormat},
      {"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceparentError::kFormat},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01", TraceparentError::kFormat},
      {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", TraceparentError::kNotHex},
      {"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", TraceparentError::kNotHex},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", TraceparentError::kNotHex},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", TraceparentError::kNotHex},
      {"0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceparentError::kNotHex},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-\xff\xff", TraceparentError::kNotHex},
      {"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceparentError::kVersion},
      {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", TraceparentError::kZeroTraceId},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", TraceparentError::kZeroSpanId},
      {"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", TraceparentError::kLength},
  };
  for (const Case& c : cases) {
    auto r = parse_traceparent(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error(), c.error) << c.text << ": " << to_string(r.error());
  }
  // value() on a refusal throws the sentence, for code that does not check.
  try {
    (void)parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").value();
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& x) {
    EXPECT_NE(std::string(x.what()).find("version ff"), std::string::npos) << x.what();
  }
}

TEST(TraceContext, ALaterVersionIsReadAsVersionZeroWithItsExtraFieldsSkipped) {
  auto t = parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to_traceparent(), kTraceW3cExample);
  EXPECT_TRUE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceContext, EveryTruncationAndEveryByteValueIsRefusedOrParsedNeverACrash) {
  const std::string ok = kTraceW3cExample;
  for (std::size_t n = 0; n < ok.size(); ++n) EXPECT_FALSE(parse_traceparent(ok.substr(0, n)));
  int parsed = 0;
  for (std::size_t i = 0; i < ok.size(); ++i) {
    for (int b = 0; b < 256; ++b) {
      std::string s = ok;
      s[i] = static_cast<char>(b);
      parsed += parse_traceparent(s).has_value();
    }
  }
  // Each of the 52 hex positions takes 16 values (a later version too),
  // each of the 3 dashes only itself.
  EXPECT_EQ(parsed, 52 * 16 + 3);
}

TEST(TraceScope, SetsTheCurrentTraceForItsLifeAndNests) {
  EXPECT_FALSE(troupe::current_trace());
  const TraceContext outer = TraceContext::start();
  {
    TraceScope a(outer);
    ASSERT_TRUE(troupe::current_trace());
    EXPECT_EQ(*troupe::current_trace(), outer);
    {
      TraceScope none(std::nullopt);
      EXPECT_FALSE(troupe::current_trace()) << "an untraced scope inside a traced one";
      const TraceContext inner = TraceContext::start(false);
      TraceScope b(inner);
      EXPECT_EQ(*troupe::current_trace(), inner);
    }
    EXPECT_EQ(*troupe::current_trace(), outer);
  }
  EXPECT_FALSE(troupe::current_trace());
}

}  // namespace
