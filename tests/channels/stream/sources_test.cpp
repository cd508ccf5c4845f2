// Sources (iter, once, empty), the pipe operator, and a channel Receiver
// used as a stream.

#include <array>
#include <list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/channel.hpp>
#include <troupe/channels/stream.hpp>
#include <troupe/channels/stream/chain.hpp>
#include <troupe/channels/stream/collect.hpp>
#include <troupe/channels/stream/empty.hpp>
#include <troupe/channels/stream/iter.hpp>
#include <troupe/channels/stream/map.hpp>
#include <troupe/channels/stream/once.hpp>
#include <troupe/channels/stream/pipe.hpp>
#include <troupe/channels/stream/take.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "test_streams.hpp"

namespace {

using troupe::AsyncStream;
using troupe::Receiver;
using troupe::StreamPoll;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::drain;
using troupe::test::drained;
using troupe::test::poll_once;
using troupe::test::ProbeTask;
namespace channel = troupe::channel;
namespace stream = troupe::stream;

static_assert(AsyncStream<stream::Iter<std::vector<int>>>);
static_assert(AsyncStream<stream::Once<std::unique_ptr<int>>>);
static_assert(AsyncStream<stream::Empty<std::string>>);
static_assert(AsyncStream<Receiver<int>>);
static_assert(std::is_same_v<decltype(stream::iter(std::set<int>{}))::value_type, int>);

// `l | r` is well-formed.
template <class L, class R>
concept Pipeable = requires(L&& l, R&& r) {
  std::forward<L>(l) | std::forward<R>(r);
};

using TakeStage = decltype(stream::take(1));
static_assert(Pipeable<stream::Iter<std::vector<int>>&, TakeStage>);
static_assert(Pipeable<Receiver<int>&, TakeStage>);
static_assert(!Pipeable<int, TakeStage>, "only streams go into a pipeline");
static_assert(!Pipeable<std::vector<int>, TakeStage>, "a container needs stream::iter first");

TEST(StreamIter, YieldsTheValuesInOrderThenStaysEnded) {
  auto s = stream::iter(std::vector<int>{1, 2, 3});
  EXPECT_EQ(drain(s), (std::vector<int>{1, 2, 3}));
  ProbeTask probe;
  EXPECT_TRUE(poll_once(s, probe).is_end()) << "fused: the end again";
  EXPECT_TRUE(poll_once(s, probe).is_end());
  EXPECT_EQ(probe.wakes(), 0);
}

TEST(StreamIter, AnEmptyContainerEndsAtOnce) {
  auto s = stream::iter(std::vector<int>{});
  ProbeTask probe;
  EXPECT_TRUE(poll_once(s, probe).is_end());
}

TEST(StreamIter, MovesMoveOnlyValuesOutOfTheContainerItOwns) {
  std::vector<std::unique_ptr<int>> v;
  v.push_back(std::make_unique<int>(4));
  v.push_back(std::make_unique<int>(5));
  auto out = drained(stream::iter(std::move(v)));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(*out[0], 4);
  EXPECT_EQ(*out[1], 5);
}

TEST(StreamIter, AnLvalueContainerIsCopiedAndLeftAsItWas) {
  std::vector<std::string> v{"a", "b"};
  auto s = stream::iter(v);
  EXPECT_EQ(drain(s), v);
  EXPECT_EQ(v, (std::vector<std::string>{"a", "b"})) << "the strings were not moved out of v";
}

TEST(StreamIter, ContainersWithConstElementsAreCopiedFrom) {
  EXPECT_EQ(drained(stream::iter(std::set<int>{3, 1, 2})), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(drained(stream::iter(std::list<int>{7, 8})), (std::vector<int>{7, 8}));
}

TEST(StreamIter, ACopyOrAMoveMidWayGoesOnFromTheSamePosition) {
  // std::array keeps its elements inline: an iterator would not survive a
  // move of the stream, a position does.
  auto s = stream::iter(std::array<std::string, 4>{"a", "b", "c", "d"});
  ProbeTask probe;
  ASSERT_EQ(poll_once(s, probe).value(), "a");
  auto copy = s;
  EXPECT_EQ(drain(copy), (std::vector<std::string>{"b", "c", "d"}));
  ASSERT_EQ(poll_once(s, probe).value(), "b");
  auto moved = std::move(s);
  EXPECT_EQ(drain(moved), (std::vector<std::string>{"c", "d"}));
}

TEST(StreamOnce, YieldsItsValueOnceThenEnds) {
  auto s = stream::once(std::make_unique<int>(9));
  ProbeTask probe;
  auto first = poll_once(s, probe);
  ASSERT_TRUE(first.is_item());
  EXPECT_EQ(*first.value(), 9);
  EXPECT_TRUE(poll_once(s, probe).is_end());
  EXPECT_TRUE(poll_once(s, probe).is_end());
}

TEST(StreamEmpty, EndsAtOnceAndIsTheIdentityOfChain) {
  auto e = stream::empty<int>();
  ProbeTask probe;
  EXPECT_TRUE(poll_once(e, probe).is_end());
  EXPECT_EQ(drained(stream::chain(stream::empty<int>(), stream::once(1))), std::vector<int>{1});
  EXPECT_EQ(drained(stream::chain(stream::once(1), stream::empty<int>())), std::vector<int>{1});
}

Task<std::vector<int>> next_all(stream::Iter<std::vector<int>> s) {
  std::vector<int> out;
  while (std::optional<int> v = co_await s.next()) out.push_back(*v);
  co_return out;
}

TEST(StreamSources, NextIsAMemberOfEveryStream) {
  TestExecutor ex;
  EXPECT_EQ(ex.block_on(next_all(stream::iter(std::vector<int>{5, 6}))), (std::vector<int>{5, 6}));
}

TEST(StreamPipe, AnLvalueSourceIsCopiedIntoThePipelineAndStaysUsable) {
  auto source = stream::iter(std::vector<int>{1, 2, 3});
  auto doubled = source | stream::map([](int x) { return 2 * x; });
  EXPECT_EQ(drain(doubled), (std::vector<int>{2, 4, 6}));
  EXPECT_EQ(drain(source), (std::vector<int>{1, 2, 3})) << "the pipeline had its own copy";
}

TEST(StreamPipe, AMoveOnlySourceIsMovedIn) {
  std::vector<std::unique_ptr<int>> v;
  v.push_back(std::make_unique<int>(3));
  auto source = stream::iter(std::move(v));
  auto values = std::move(source) | stream::map([](std::unique_ptr<int> p) { return *p; });
  EXPECT_EQ(drain(values), std::vector<int>{3});
}

TEST(StreamPipe, OneStageCanBeAppliedToSeveralSources) {
  const auto first_two = stream::take(2);
  auto a = stream::iter(std::vector<int>{1, 2, 3}) | first_two;
  auto b = stream::iter(std::vector<int>{7, 8, 9}) | first_two;
  EXPECT_EQ(drain(a), (std::vector<int>{1, 2}));
  EXPECT_EQ(drain(b), (std::vector<int>{7, 8}));
}

TEST(StreamPipe, StagesComposeLeftToRight) {
  auto s = stream::iter(std::vector<int>{1, 2, 3, 4}) | stream::take(3) |
           stream::map([](int x) { return std::to_string(x); }) |
           stream::chain(stream::once(std::string("end")));
  EXPECT_EQ(drain(s), (std::vector<std::string>{"1", "2", "3", "end"}));
}

troupe::Stream<int> countdown(int n) {
  for (int i = n; i > 0; --i) co_yield i;
}

TEST(StreamGenerator, GoesThroughCombinatorsAndCombinatorsConvertToOne) {
  TestExecutor ex;
  EXPECT_EQ(
      ex.block_on(countdown(3) | stream::map([](int x) { return x * 10; }) | stream::collect()),
      (std::vector<int>{30, 20, 10}));
  troupe::Stream<long> erased = stream::iter(std::vector<int>{1, 2, 3}) | stream::take(2);
  EXPECT_EQ(ex.block_on(stream::collect(std::move(erased))), (std::vector<long>{1, 2}));
}

TEST(StreamReceiver, AReceiverIsASourceThatEndsWhenTheChannelIsClosedAndDrained) {
  TestExecutor ex;
  auto [tx, rx] = channel::unbounded<int>();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(tx.try_send(i).is_sent());
  tx = troupe::Sender<int>();  // the last sender: the channel closes
  auto squares = ex.block_on(rx | stream::map([](int x) { return x * x; }) | stream::collect());
  EXPECT_EQ(squares, (std::vector<int>{0, 1, 4, 9}));
}

TEST(StreamReceiver, APipelineOnAnOpenChannelWaitsForItsItems) {
  TestExecutor ex;
  auto [tx, rx] = channel::bounded<int>(2);
  auto h = ex.spawn(std::move(rx) | stream::take(3) | stream::collect());
  ex.run_until_idle();
  EXPECT_FALSE(h.is_finished());
  ASSERT_TRUE(tx.try_send(1).is_sent());
  ASSERT_TRUE(tx.try_send(2).is_sent());
  ex.run_until_idle();
  EXPECT_FALSE(h.is_finished()) << "take(3) waits for the third item";
  ASSERT_TRUE(tx.try_send(3).is_sent());
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), (std::vector<int>{1, 2, 3}));
}

}  // namespace
