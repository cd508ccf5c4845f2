// The bank example's account actor, through both paths: typed protobuf
// messages and envelopes.

#include <gtest/gtest.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/proto/any_ref.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "account.hpp"

namespace {

using troupe::Task;

TEST(BankExample, TypedAndEnvelopePathsReachTheSameAccount) {
  troupe::TestExecutor ex;
  troupe::ActorSystem system(ex);
  auto account = system.spawn<bank::Account>();
  troupe::proto::AnyRef any(account);

  bank::Deposit d;
  d.set_cents(300);
  account.tell(d);                     // typed
  any.tell(troupe::proto::encode(d));  // envelope
  bank::Withdraw w;
  w.set_cents(1000);
  auto refused = ex.block_on(
      [](troupe::ActorRef<bank::Account> a, bank::Withdraw w) -> Task<bank::WithdrawResult> {
        co_return (co_await a.ask(w)).value();
      }(account, w));
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.balance_cents(), 600);

  w.set_cents(100);
  auto reply = ex.block_on([](troupe::proto::AnyRef any,
                              bank::Withdraw w) -> Task<troupe::AskResult<troupe::v1::Envelope>> {
    co_return co_await any.ask(troupe::proto::encode(w));
  }(any, w));
  auto result = troupe::proto::decode<bank::WithdrawResult>(reply.value());
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(result->balance_cents(), 500);
}

}  // namespace
