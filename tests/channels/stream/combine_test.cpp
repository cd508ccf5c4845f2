// Combinators over several streams: chain, zip, merge (and merge of a
// vector), on hand-driven streams and on channels fed by tasks on a
// multi-threaded Runtime.

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/channel.hpp>
#include <troupe/channels/stream/chain.hpp>
#include <troupe/channels/stream/collect.hpp>
#include <troupe/channels/stream/empty.hpp>
#include <troupe/channels/stream/iter.hpp>
#include <troupe/channels/stream/map.hpp>
#include <troupe/channels/stream/merge.hpp>
#include <troupe/channels/stream/once.hpp>
#include <troupe/channels/stream/take.hpp>
#include <troupe/channels/stream/zip.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "test_streams.hpp"

namespace {

using troupe::Receiver;
using troupe::Runtime;
using troupe::Sender;
using troupe::StreamPoll;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::Counter;
using troupe::test::drain;
using troupe::test::drained;
using troupe::test::Feed;
using troupe::test::FeedFailure;
using troupe::test::ints;
using troupe::test::poll_once;
using troupe::test::ProbeTask;
using troupe::test::range;
using troupe::test::Untouchable;
namespace channel = troupe::channel;
namespace stream = troupe::stream;

// Sends `values` one by one (waiting for room), then drops its Sender.
Task<void> produce(Sender<int> tx, std::vector<int> values) {
  for (int v : values) {
    auto r = co_await tx.send(v);
    if (!r.is_sent()) co_return;
  }
}

// ---- chain

TEST(StreamChain, YieldsTheFirstStreamThenTheSecond) {
  EXPECT_EQ(drained(stream::chain(stream::iter(ints({1, 2})), stream::iter(ints({3, 4})))),
            ints({1, 2, 3, 4}));
  EXPECT_TRUE(drained(stream::chain(stream::empty<int>(), stream::empty<int>())).empty());
}

TEST(StreamChain, DoesNotPollTheSecondBeforeTheFirstEnds) {
  ProbeTask probe;
  Feed<int> first;
  std::size_t second_polls = 0;
  auto s = stream::chain(first.stream(), Untouchable<int>(&second_polls));
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  first.push(1);
  EXPECT_EQ(poll_once(s, probe).value(), 1);
  EXPECT_EQ(second_polls, 0u);
  first.close();
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  EXPECT_EQ(second_polls, 1u);
}

TEST(StreamChain, AnExceptionFromTheFirstDoesNotSwitchToTheSecond) {
  ProbeTask probe;
  Feed<int> first;
  first.push(1);
  first.fail();
  first.push(2);
  first.close();
  auto s = first.stream() | stream::chain(stream::once(3));
  EXPECT_EQ(poll_once(s, probe).value(), 1);
  EXPECT_THROW((void)poll_once(s, probe), FeedFailure);
  EXPECT_EQ(drain(s), ints({2, 3}));
}

// ---- zip

TEST(StreamZip, PairsTheItemsInStepAndEndsWithTheShorterStream) {
  auto s =
      stream::zip(stream::iter(ints({1, 2, 3})), stream::iter(std::vector<std::string>{"a", "b"}));
  using Pair = std::pair<int, std::string>;
  EXPECT_EQ(drain(s), (std::vector<Pair>{{1, "a"}, {2, "b"}}));
}

TEST(StreamZip, EndsAsSoonAsTheFirstEndsWithoutPollingTheSecond) {
  std::size_t polls = 0;
  auto s = stream::empty<int>() | stream::zip(Untouchable<int>(&polls));
  ProbeTask probe;
  EXPECT_TRUE(poll_once(s, probe).is_end());
  EXPECT_EQ(polls, 0u);
  EXPECT_TRUE(poll_once(s, probe).is_end());
}

TEST(StreamZip, KeepsTheReadyHalfWhileTheOtherIsPending) {
  ProbeTask probe;
  Feed<int> a;
  Feed<int> b;
  auto s = stream::zip(a.stream(), b.stream());
  a.push(1);
  a.push(2);
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  EXPECT_TRUE(b.has_waker());
  EXPECT_EQ(a.queued(), 1u) << "one item of a waits in the zip; the second is left in a";
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  EXPECT_EQ(a.queued(), 1u) << "a is not polled again while its half waits";
  b.push(10);
  EXPECT_EQ(probe.wakes(), 1);
  auto p = poll_once(s, probe);
  ASSERT_TRUE(p.is_item());
  EXPECT_EQ(p.value(), std::make_pair(1, 10));
}

TEST(StreamZip, AnExceptionFromOneSideKeepsTheOtherSidesItem) {
  ProbeTask probe;
  Feed<int> a;
  Feed<int> b;
  a.push(1);
  b.fail();
  b.push(7);
  b.close();
  auto s = stream::zip(a.stream(), b.stream());
  EXPECT_THROW((void)poll_once(s, probe), FeedFailure);
  auto p = poll_once(s, probe);
  ASSERT_TRUE(p.is_item());
  EXPECT_EQ(p.value(), std::make_pair(1, 7));
}

// ---- merge

TEST(StreamMerge, YieldsEveryItemOfEverySourceAndEndsWhenAllHaveEnded) {
  auto s = stream::merge(stream::iter(ints({1, 2, 3})), stream::once(10), stream::empty<int>(),
                         stream::iter(ints({20, 21})));
  std::vector<int> out = drain(s);
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, ints({1, 2, 3, 10, 20, 21}));
}

TEST(StreamMerge, KeepsTheOrderOfEachSource) {
  auto s = stream::merge(stream::iter(range(0, 50)), stream::iter(range(100, 130)));
  std::vector<int> low;
  std::vector<int> high;
  for (int v : drain(s)) (v < 100 ? low : high).push_back(v);
  EXPECT_EQ(low, range(0, 50));
  EXPECT_EQ(high, range(100, 130));
}

TEST(StreamMerge, IsPendingUntilTheLastSourceEndsAndEverySourceHasTheWaker) {
  ProbeTask probe;
  Feed<int> a;
  Feed<int> b;
  auto s = stream::merge(a.stream(), b.stream());
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  EXPECT_TRUE(a.has_waker());
  EXPECT_TRUE(b.has_waker());
  a.close();
  EXPECT_EQ(probe.wakes(), 1);
  EXPECT_TRUE(poll_once(s, probe).is_pending()) << "b is still open";
  b.push(5);
  EXPECT_EQ(poll_once(s, probe).value(), 5);
  b.close();
  EXPECT_TRUE(poll_once(s, probe).is_end());
  EXPECT_TRUE(poll_once(s, probe).is_end());
}

TEST(StreamMerge, ASourceThatAlwaysHasItemsDoesNotStarveTheOthers) {
  ProbeTask probe;
  Feed<int> quiet;
  auto s = stream::merge(Counter(0), quiet.stream());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(poll_once(s, probe).value(), i);
  quiet.push(-1);
  std::vector<int> next_two{poll_once(s, probe).value(), poll_once(s, probe).value()};
  EXPECT_TRUE(std::count(next_two.begin(), next_two.end(), -1) == 1)
      << "the quiet source's item came within the next two";
}

TEST(StreamMerge, TwoBusySourcesTakeTurns) {
  auto s = stream::merge(Counter(0), Counter(100), Counter(200)) | stream::take(7);
  EXPECT_EQ(drain(s), ints({0, 100, 200, 1, 101, 201, 2}));
}

TEST(StreamMerge, AnExceptionFromOneSourceReachesTheConsumerAndTheMergeGoesOn) {
  ProbeTask probe;
  Feed<int> a;
  a.fail();
  a.push(1);
  a.close();
  auto s = stream::merge(a.stream(), stream::iter(ints({2, 3})));
  EXPECT_THROW((void)poll_once(s, probe), FeedFailure);
  std::vector<int> rest = drain(s);
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(rest, ints({1, 2, 3}));
}

TEST(StreamMerge, MergeWithIsThePipelineForm) {
  auto s = stream::iter(ints({1})) | stream::merge_with(stream::once(2), stream::once(3));
  std::vector<int> out = drain(s);
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, ints({1, 2, 3}));
}

TEST(StreamMergeAll, AnEmptyVectorEndsAtOnce) {
  auto s = stream::merge(std::vector<stream::Once<int>>{});
  ProbeTask probe;
  EXPECT_TRUE(poll_once(s, probe).is_end());
}

TEST(StreamMergeAll, MergesAVectorOfStreamsFairly) {
  ProbeTask probe;
  std::vector<Feed<int>> feeds(3);
  std::vector<Feed<int>::Stream> streams;
  for (auto& f : feeds) streams.push_back(f.stream());
  auto s = stream::merge(std::move(streams));
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  for (auto& f : feeds) EXPECT_TRUE(f.has_waker());
  for (int i = 0; i < 3; ++i) {
    feeds[0].push(i);
    feeds[1].push(10 + i);
    feeds[2].push(20 + i);
  }
  for (auto& f : feeds) f.close();
  EXPECT_EQ(drain(s), ints({0, 10, 20, 1, 11, 21, 2, 12, 22}));
}

// ---- on a multi-threaded runtime, fed through channels

TEST(StreamCombineOnRuntime, MergeOfReceiversFedByTasksGetsEveryItemOnce) {
  Runtime rt({.workers = 4});
  constexpr int kPerSource = 500;
  std::vector<Receiver<int>> receivers;
  for (int k = 0; k < 3; ++k) {
    auto [tx, rx] = channel::bounded<int>(2);
    rt.spawn(produce(std::move(tx), range(k * kPerSource, (k + 1) * kPerSource))).detach();
    receivers.push_back(std::move(rx));
  }
  auto all =
      rt.block_on(stream::merge(receivers[0], receivers[1], receivers[2]) | stream::collect());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, range(0, 3 * kPerSource));
}

TEST(StreamCombineOnRuntime, MergeOfAVectorOfReceiversGetsEveryItemOnce) {
  Runtime rt({.workers = 4});
  constexpr int kSources = 8;
  constexpr int kPerSource = 200;
  std::vector<Receiver<int>> receivers;
  for (int k = 0; k < kSources; ++k) {
    auto [tx, rx] = channel::bounded<int>(1);
    rt.spawn(produce(std::move(tx), range(k * kPerSource, (k + 1) * kPerSource))).detach();
    receivers.push_back(std::move(rx));
  }
  auto all = rt.block_on(stream::merge(std::move(receivers)) | stream::collect());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, range(0, kSources * kPerSource));
}

TEST(StreamCombineOnRuntime, ZipOfTwoReceiversPairsEveryItem) {
  Runtime rt({.workers = 4});
  constexpr int kItems = 500;
  auto [tx_a, rx_a] = channel::bounded<int>(2);
  auto [tx_b, rx_b] = channel::bounded<int>(3);
  rt.spawn(produce(std::move(tx_a), range(0, kItems))).detach();
  rt.spawn(produce(std::move(tx_b), range(kItems, 2 * kItems))).detach();
  auto pairs = rt.block_on(stream::zip(std::move(rx_a), std::move(rx_b)) | stream::collect());
  ASSERT_EQ(pairs.size(), static_cast<std::size_t>(kItems));
  std::vector<int> firsts;
  std::vector<int> seconds;
  for (auto& [a, b] : pairs) {
    firsts.push_back(a);
    seconds.push_back(b);
  }
  std::sort(firsts.begin(), firsts.end());
  std::sort(seconds.begin(), seconds.end());
  EXPECT_EQ(firsts, range(0, kItems));
  EXPECT_EQ(seconds, range(kItems, 2 * kItems));
}

TEST(StreamCombineOnRuntime, ChainOfTwoReceiversDrainsTheFirstBeforeTheSecond) {
  Runtime rt({.workers = 4});
  constexpr int kItems = 300;
  auto [tx_a, rx_a] = channel::bounded<int>(2);
  auto [tx_b, rx_b] = channel::bounded<int>(2);
  // Both producers run at once; the second channel fills up and waits.
  rt.spawn(produce(std::move(tx_a), range(0, kItems))).detach();
  rt.spawn(produce(std::move(tx_b), range(kItems, 2 * kItems))).detach();
  auto all = rt.block_on(stream::chain(std::move(rx_a), std::move(rx_b)) | stream::collect());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(2 * kItems));
  auto first_of_b = std::find_if(all.begin(), all.end(), [](int v) { return v >= kItems; });
  EXPECT_EQ(first_of_b - all.begin(), kItems) << "every item of the first channel came first";
  EXPECT_TRUE(std::all_of(first_of_b, all.end(), [](int v) { return v >= kItems; }));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, range(0, 2 * kItems));
}

}  // namespace
