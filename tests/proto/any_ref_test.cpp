// Protobuf messages into actors: typed handlers for generated types, and
// dynamic dispatch of envelopes by type name through AnyRef.

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/proto/any_ref.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "testing/messages.pb.h"

namespace {

namespace proto = troupe::proto;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::AskError;
using troupe::DeadLetterReason;
using troupe::Task;
using troupe::TestExecutor;

struct Account : troupe::Actor<Account> {
  using messages = proto::Messages<testing::Deposit, testing::Withdraw, testing::GetBalance>;
  std::int64_t cents = 0;
  void handle(const testing::Deposit& d) { cents += d.cents(); }
  void handle(const testing::Withdraw& w) {
    if (w.cents() > cents) throw std::runtime_error("insufficient funds");
    cents -= w.cents();
  }
  testing::Balance handle(const testing::GetBalance&) {
    testing::Balance b;
    b.set_cents(cents);
    return b;
  }
};

template <class M>
M make(std::int64_t cents) {
  M m;
  m.set_cents(cents);
  return m;
}

std::int64_t balance_of(TestExecutor& ex, const ActorRef<Account>& a) {
  return ex.block_on([](ActorRef<Account> a) -> Task<std::int64_t> {
    co_return (co_await a.ask(testing::GetBalance{})).value().cents();
  }(a));
}

TEST(ProtoActor, GeneratedTypesAreMessagesForTellAndAsk) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto account = system.spawn<Account>();
  account.tell(make<testing::Deposit>(500));
  account.tell(make<testing::Withdraw>(200));
  EXPECT_EQ(balance_of(ex, account), 300);
}

TEST(AnyRef, AnEnvelopeIsDecodedAndHandledLikeATypedMessage) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto account = system.spawn<Account>();
  proto::AnyRef any(account);
  EXPECT_TRUE(any.accepts("testing.Deposit"));
  EXPECT_FALSE(any.accepts("testing.Tree"));
  auto r = any.tell(proto::encode(make<testing::Deposit>(700)));
  EXPECT_TRUE(r);
  EXPECT_EQ(balance_of(ex, account), 700);
}

TEST(AnyRef, AnAskByEnvelopeRepliesWithAnEnvelope) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto account = system.spawn<Account>();
  account.tell(make<testing::Deposit>(42));
  proto::AnyRef any(account);
  auto reply = ex.block_on([](proto::AnyRef any) -> Task<troupe::AskResult<troupe::v1::Envelope>> {
    co_return co_await any.ask(proto::encode(testing::GetBalance{}, troupe::v1::Envelope::ASK));
  }(any));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->kind(), troupe::v1::Envelope::REPLY);
  EXPECT_EQ(proto::decode<testing::Balance>(*reply)->cents(), 42);
}

TEST(AnyRef, AnUnknownTypeIsRefusedAndCountedAsADeadLetter) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<std::string> dead;
  system.on_dead_letter([&](const troupe::DeadLetter& d) {
    EXPECT_EQ(d.reason, DeadLetterReason::kUndecodable);
    dead.emplace_back(d.message_type);
  });
  proto::AnyRef any(system.spawn<Account>());
  testing::Tree t;
  auto r = any.tell(proto::encode(t));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, proto::DecodeError::kUnknownType);
  auto asked = ex.block_on([](proto::AnyRef any) -> Task<troupe::AskResult<troupe::v1::Envelope>> {
    co_return co_await any.ask(proto::encode(testing::Tree{}));
  }(any));
  EXPECT_EQ(asked.error(), AskError::kBadMessage);
  EXPECT_EQ(dead, (std::vector<std::string>{"testing.Tree", "testing.Tree"}));
}

TEST(AnyRef, MalformedBytesNeverReachTheActor) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto account = system.spawn<Account>();
  proto::AnyRef any(account);
  troupe::v1::Envelope bad;
  bad.set_type_name("testing.Deposit");
  bad.set_payload("\x08");  // a field tag with no value
  auto r = any.tell(bad);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, proto::DecodeError::kMalformed);
  auto asked =
      ex.block_on([](proto::AnyRef any,
                     troupe::v1::Envelope bad) -> Task<troupe::AskResult<troupe::v1::Envelope>> {
        co_return co_await any.ask(bad);
      }(any, bad));
  EXPECT_EQ(asked.error(), AskError::kBadMessage);
  EXPECT_THROW(asked.value(), std::invalid_argument);
  EXPECT_EQ(balance_of(ex, account), 0);
  EXPECT_EQ(system.dead_letters(), 2u);
  EXPECT_EQ(system.live_actors(), 1u) << "the actor never saw it";
}

TEST(AnyRef, AHandlerThatThrowsFailsTheAskByEnvelope) {
  TestExecutor ex;
  ActorSystem system(ex);
  proto::AnyRef any(system.spawn<Account>());
  auto asked = ex.block_on([](proto::AnyRef any) -> Task<troupe::AskResult<troupe::v1::Envelope>> {
    co_return co_await any.ask(proto::encode(make<testing::Withdraw>(1)));
  }(any));
  EXPECT_EQ(asked.error(), AskError::kFailed);
  EXPECT_THROW(asked.value(), std::runtime_error);
}

}  // namespace
