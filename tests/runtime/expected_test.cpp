#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <gtest/gtest.h>

#include <troupe/runtime/expected.hpp>

namespace expected_test {

using troupe::Expected;
using troupe::unexpected;

enum class Why { kEmpty, kTooBig };

// An error type with its own exception, chosen by specializing ErrorTraits.
struct ParseFailure {
  Why why = Why::kEmpty;
  std::string text;
};
struct ParseFailed : std::runtime_error {
  explicit ParseFailed(const ParseFailure& f) : std::runtime_error("parse failed: " + f.text) {}
};

}  // namespace expected_test

template <>
struct troupe::ErrorTraits<expected_test::ParseFailure> {
  [[noreturn]] static void raise(const expected_test::ParseFailure& f) {
    throw expected_test::ParseFailed(f);
  }
};

namespace expected_test {

Expected<int, ParseFailure> parse_small(const std::string& s) {
  if (s.empty()) return unexpected(ParseFailure{Why::kEmpty, "nothing"});
  if (s.size() > 2) return unexpected(ParseFailure{Why::kTooBig, s});
  return std::stoi(s);
}

TEST(Expected, HoldsAValue) {
  auto r = parse_small("42");
  EXPECT_TRUE(r.has_value());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(r.value_or(-1), 42);
}

TEST(Expected, HoldsAnError) {
  auto r = parse_small("12345");
  EXPECT_FALSE(r.has_value());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().why, Why::kTooBig);
  EXPECT_EQ(r.error().text, "12345");
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(Expected, ValueWithoutOneThrowsWhatTheErrorTypeSays) {
  auto r = parse_small("");
  try {
    (void)r.value();
    FAIL() << "value() should have thrown";
  } catch (const ParseFailed& e) {
    EXPECT_STREQ(e.what(), "parse failed: nothing");
  }
}

TEST(Expected, ErrorTypesWithoutTraitsThrowBadExpectedAccessWithTheError) {
  Expected<int, int> r = unexpected(7);
  try {
    (void)r.value();
    FAIL() << "value() should have thrown";
  } catch (const troupe::BadExpectedAccess<int>& e) {
    EXPECT_EQ(e.error(), 7);
  }
}

TEST(Expected, ErrorCodesThrowSystemError) {
  Expected<int, std::error_code> r = unexpected(std::make_error_code(std::errc::timed_out));
  try {
    (void)r.value();
    FAIL() << "value() should have thrown";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::timed_out);
  }
}

TEST(Expected, UnexpectedIsAnErrorEvenWhereTheValueTypeCouldTakeIt) {
  // int converts to long: only the wrapper tells the two apart.
  Expected<long, int> value = 3;
  Expected<long, int> error = unexpected(3);
  EXPECT_TRUE(value.has_value());
  EXPECT_EQ(*value, 3L);
  ASSERT_FALSE(error.has_value());
  EXPECT_EQ(error.error(), 3);
}

TEST(Expected, ConstructsValuesAndErrorsInPlace) {
  Expected<std::string, std::string> v(std::in_place, 3, 'x');
  Expected<std::string, std::string> e(troupe::unexpect, 2, 'y');
  EXPECT_EQ(*v, "xxx");
  EXPECT_EQ(e.error(), "yy");
}

TEST(Expected, VoidIsSuccessOrAnError) {
  Expected<void, std::string> done;
  EXPECT_TRUE(done.has_value());
  EXPECT_NO_THROW(done.value());
  Expected<void, std::string> failed = unexpected(std::string("why"));
  EXPECT_FALSE(failed.has_value());
  EXPECT_FALSE(static_cast<bool>(failed));
  EXPECT_EQ(failed.error(), "why");
  EXPECT_THROW(failed.value(), troupe::BadExpectedAccess<std::string>);
}

TEST(Expected, MoveOnlyValuesMoveOut) {
  Expected<std::unique_ptr<int>, int> r = std::make_unique<int>(5);
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);

  Expected<std::unique_ptr<int>, int> s = std::make_unique<int>(6);
  std::unique_ptr<int> q = std::move(s).value_or(nullptr);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(*q, 6);
  Expected<std::unique_ptr<int>, int> failed = unexpected(1);
  EXPECT_EQ(std::move(failed).value_or(nullptr), nullptr);
}

TEST(Expected, ConstAccessReadsWithoutCopying) {
  const Expected<std::string, int> r = std::string("abc");
  const std::string& ref = r.value();
  EXPECT_EQ(&ref, &*r);
  EXPECT_EQ(r->size(), 3u);
  EXPECT_EQ(r.value_or("zz"), "abc");
  const Expected<std::string, int> e = unexpected(9);
  EXPECT_EQ(e.error(), 9);
  EXPECT_EQ(e.value_or("zz"), "zz");
  EXPECT_THROW((void)e.value(), troupe::BadExpectedAccess<int>);
}

TEST(Expected, MovesTheErrorOut) {
  Expected<int, std::unique_ptr<int>> r = unexpected(std::make_unique<int>(8));
  std::unique_ptr<int> e = std::move(r).error();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(*e, 8);
}

TEST(Expected, CopiesAndAssignsLikeAValue) {
  Expected<std::string, int> a = std::string("one");
  Expected<std::string, int> b = a;
  EXPECT_EQ(*b, "one");
  b = unexpected(2);
  EXPECT_FALSE(b.has_value());
  EXPECT_EQ(*a, "one") << "a copy, not a view";
  b = a;
  EXPECT_EQ(*b, "one");
}

}  // namespace expected_test
