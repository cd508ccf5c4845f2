#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <gtest/gtest.h>

#include <troupe/runtime/io_result.hpp>

namespace {

using troupe::IoResult;

IoResult<int> parse_digit(char c) {
  if (c < '0' || c > '9') return std::errc::invalid_argument;
  return c - '0';
}

TEST(IoResult, HoldsTheValueOnSuccess) {
  IoResult<int> r = parse_digit('7');
  EXPECT_TRUE(r.has_value());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 7);
  EXPECT_EQ(*r, 7);
  EXPECT_FALSE(r.error());
}

TEST(IoResult, HoldsTheErrorCodeOnFailure) {
  IoResult<int> r = parse_digit('x');
  EXPECT_FALSE(r.has_value());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(IoResult, ValueThrowsSystemErrorWithTheCodeOnFailure) {
  IoResult<int> r = std::error_code(ECONNREFUSED, std::system_category());
  try {
    (void)r.value();
    FAIL() << "value() should have thrown";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::connection_refused);
  }
}

TEST(IoResult, SystemErrorsCompareEqualToThePortableErrc) {
  IoResult<int> r = std::error_code(EPIPE, std::system_category());
  EXPECT_EQ(r.error(), std::errc::broken_pipe);
  EXPECT_NE(r.error(), std::errc::connection_reset);
}

TEST(IoResult, MovesMoveOnlyValuesOut) {
  IoResult<std::unique_ptr<std::string>> r = std::make_unique<std::string>("moved");
  std::unique_ptr<std::string> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, "moved");
}

TEST(IoResult, ArrowReachesMembersOfTheValue) {
  IoResult<std::string> r = std::string("abc");
  EXPECT_EQ(r->size(), 3u);
}

TEST(IoResult, BoolValuesAreNotConfusedWithErrors) {
  IoResult<bool> yes = true;
  IoResult<bool> no = false;
  IoResult<bool> failed = std::errc::bad_file_descriptor;
  EXPECT_TRUE(yes.has_value());
  EXPECT_TRUE(yes.value());
  EXPECT_TRUE(no.has_value());
  EXPECT_FALSE(no.value());
  EXPECT_FALSE(failed.has_value());
}

TEST(IoResult, VoidResultIsOkUnlessItHoldsAnError) {
  IoResult<void> ok;
  EXPECT_TRUE(ok.has_value());
  EXPECT_NO_THROW(ok.value());
  IoResult<void> from_empty_code = std::error_code();
  EXPECT_TRUE(from_empty_code.has_value());
  IoResult<void> failed = std::errc::not_connected;
  EXPECT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error(), std::errc::not_connected);
  EXPECT_THROW(failed.value(), std::system_error);
}

}  // namespace
