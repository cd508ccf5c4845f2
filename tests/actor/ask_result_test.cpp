// AskResult: an Expected<T, AskFailure> whose error() is the AskError and
// whose value() rethrows the handler's exception.

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include <troupe/actor/ask_result.hpp>

namespace ask_result_test {

using troupe::AskError;
using troupe::AskResult;

TEST(AskResult, HoldsTheReply) {
  const AskResult<std::string> r(std::string("pong"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r.value(), "pong");
  EXPECT_EQ(*r, "pong");
  EXPECT_EQ(r->size(), 4u);
  EXPECT_EQ(r.value_or("none"), "pong");
  EXPECT_EQ(r.cause(), nullptr) << "no cause with a reply";
}

TEST(AskResult, SaysWhyThereIsNoReply) {
  auto r = AskResult<int>::error(AskError::kMailboxFull);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), AskError::kMailboxFull);
  EXPECT_EQ(r.failure().code, AskError::kMailboxFull);
  EXPECT_EQ(r.cause(), nullptr);
  EXPECT_EQ(r.value_or(-1), -1);
  try {
    (void)r.value();
    FAIL() << "value() should have thrown";
  } catch (const troupe::AskFailed& e) {
    EXPECT_EQ(e.error(), AskError::kMailboxFull);
    EXPECT_STREQ(e.what(), "troupe: ask failed: mailbox full");
  }
}

TEST(AskResult, ValueRethrowsWhatTheHandlerThrew) {
  auto r = AskResult<int>::error(AskError::kFailed,
                                 std::make_exception_ptr(std::invalid_argument("bad amount")));
  EXPECT_EQ(r.error(), AskError::kFailed);
  ASSERT_NE(r.cause(), nullptr);
  EXPECT_THROW((void)r.value(), std::invalid_argument);
}

TEST(AskResult, ComesFromAnUnexpectedAskFailure) {
  AskResult<int> r = troupe::unexpected(troupe::AskFailure{AskError::kTimeout, nullptr});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), AskError::kTimeout);
}

TEST(AskResult, VoidIsDoneOrWhyNot) {
  AskResult<void> done;
  EXPECT_TRUE(done);
  EXPECT_NO_THROW(done.value());
  auto dead = AskResult<void>::error(AskError::kDeadActor);
  EXPECT_FALSE(dead);
  EXPECT_EQ(dead.error(), AskError::kDeadActor);
  EXPECT_THROW(dead.value(), troupe::AskFailed);
}

TEST(AskResult, MovesAMoveOnlyReplyOut) {
  AskResult<std::unique_ptr<int>> r(std::make_unique<int>(3));
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 3);
}

}  // namespace ask_result_test
