// Terminal operations (for_each, fold, collect) and forward into a channel.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/channel.hpp>
#include <troupe/channels/stream/collect.hpp>
#include <troupe/channels/stream/fold.hpp>
#include <troupe/channels/stream/for_each.hpp>
#include <troupe/channels/stream/forward.hpp>
#include <troupe/channels/stream/iter.hpp>
#include <troupe/channels/stream/map.hpp>
#include <troupe/channels/stream/take.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "test_streams.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::Instant;
using troupe::Receiver;
using troupe::Runtime;
using troupe::Sender;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::Boom;
using troupe::test::Counter;
using troupe::test::Feed;
using troupe::test::FeedFailure;
using troupe::test::kT0;
using troupe::test::LifeCounter;
using troupe::test::range;
using troupe::test::Tracked;
namespace channel = troupe::channel;
namespace stream = troupe::stream;

// ---- for_each

TEST(StreamForEach, CallsTheFunctionOnEveryItemInOrder) {
  TestExecutor ex;
  std::vector<int> seen;
  ex.block_on(stream::for_each(stream::iter(range(0, 5)), [&](int v) { seen.push_back(v); }));
  EXPECT_EQ(seen, range(0, 5));
}

TEST(StreamForEach, OnAnEmptyStreamFinishesWithoutCallingTheFunction) {
  TestExecutor ex;
  int calls = 0;
  ex.block_on(stream::iter(range(0, 0)) | stream::for_each([&](int) { ++calls; }));
  EXPECT_EQ(calls, 0);
}

TEST(StreamForEach, AwaitsATaskFunctionBeforeTakingTheNextItem) {
  TestExecutor ex;
  std::vector<std::pair<int, Instant>> seen;
  auto slow = [&](int v) -> Task<void> {
    return [](int v, TestExecutor& ex, std::vector<std::pair<int, Instant>>& seen) -> Task<void> {
      seen.emplace_back(v, ex.now());
      co_await troupe::sleep_for(1s);
    }(v, ex, seen);
  };
  ex.block_on(stream::iter(range(0, 3)) | stream::for_each(slow));
  EXPECT_EQ(seen, (std::vector<std::pair<int, Instant>>{{0, kT0}, {1, kT0 + 1s}, {2, kT0 + 2s}}));
  EXPECT_EQ(ex.now(), kT0 + 3s);
}

TEST(StreamForEach, AnExceptionFromTheFunctionEndsTheTaskWithIt) {
  TestExecutor ex;
  std::vector<int> seen;
  EXPECT_THROW(ex.block_on(stream::iter(range(0, 5)) | stream::for_each([&](int v) {
                             if (v == 2) throw Boom();
                             seen.push_back(v);
                           })),
               Boom);
  EXPECT_EQ(seen, range(0, 2));
}

TEST(StreamForEach, AnExceptionFromTheSourceEndsTheTaskWithIt) {
  TestExecutor ex;
  Feed<int> feed;
  feed.push(1);
  feed.fail();
  feed.push(2);
  int calls = 0;
  EXPECT_THROW(ex.block_on(feed.stream() | stream::for_each([&](int) { ++calls; })), FeedFailure);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(feed.queued(), 1u) << "nothing was taken after the failure";
}

// ---- fold

TEST(StreamFold, ReducesTheItemsLeftToRight) {
  TestExecutor ex;
  auto digits =
      ex.block_on(stream::fold(stream::iter(range(1, 5)), std::string(),
                               [](std::string acc, int v) { return acc + std::to_string(v); }));
  EXPECT_EQ(digits, "1234");
}

TEST(StreamFold, OfAnEmptyStreamIsTheInitialValue) {
  TestExecutor ex;
  EXPECT_EQ(
      ex.block_on(stream::iter(range(0, 0)) | stream::fold(42, [](int a, int v) { return a + v; })),
      42);
}

TEST(StreamFold, MovesAMoveOnlyAccumulatorThrough) {
  TestExecutor ex;
  auto result =
      ex.block_on(stream::iter(range(1, 4)) |
                  stream::fold(std::make_unique<int>(0), [](std::unique_ptr<int> acc, int v) {
                    *acc += v;
                    return acc;
                  }));
  ASSERT_TRUE(result);
  EXPECT_EQ(*result, 6);
}

Task<int> add_later(int acc, int v) {
  co_await troupe::sleep_for(1s);
  co_return acc + v;
}

TEST(StreamFold, AwaitsATaskFunction) {
  TestExecutor ex;
  EXPECT_EQ(ex.block_on(stream::iter(range(1, 4)) | stream::fold(0, add_later)), 6);
  EXPECT_EQ(ex.now(), kT0 + 3s);
}

// ---- collect

TEST(StreamCollect, GathersTheItemsInOrder) {
  TestExecutor ex;
  EXPECT_EQ(ex.block_on(stream::collect(stream::iter(range(0, 100)))), range(0, 100));
  EXPECT_TRUE(ex.block_on(stream::collect(stream::iter(range(0, 0)))).empty());
}

TEST(StreamCollect, APipelineOfTemporariesInOneExpressionOwnsEverything) {
  TestExecutor ex;
  // Every part is a temporary that dies at the end of this statement; the
  // Task runs later, after the statement, so it must own them all.
  auto task = stream::iter(std::vector<std::string>{"a", "bb", "ccc"}) |
              stream::map([suffix = std::string("!")](std::string s) { return s + suffix; }) |
              stream::collect();
  EXPECT_EQ(ex.block_on(std::move(task)), (std::vector<std::string>{"a!", "bb!", "ccc!"}));
}

Task<std::vector<int>> collect_in_a_task(Receiver<int> rx) {
  co_return co_await (rx | stream::map([](int v) { return v + 1; }) | stream::take(3) |
                      stream::collect());
}

TEST(StreamCollect, AwaitedInsideATaskOnAChannel) {
  TestExecutor ex;
  auto [tx, rx] = channel::unbounded<int>();
  auto h = ex.spawn(collect_in_a_task(rx));  // a clone: rx keeps the channel open
  ex.run_until_idle();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(tx.try_send(i).is_sent());
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(rx.size(), 2u) << "take(3) left the rest in the channel";
  EXPECT_EQ(rx.try_recv().value(), 3);
}

TEST(StreamCollect, DroppingAnUnfinishedCollectDestroysTheItemsAndTheStream) {
  LifeCounter c;
  {
    TestExecutor ex;
    // (NextFuture needs an assignable item type: Tracked is not, a pointer is.)
    Feed<std::unique_ptr<Tracked>> feed;
    feed.push(std::make_unique<Tracked>(c, 1));
    auto h = ex.spawn(stream::collect(feed.stream()));
    ex.run_until_idle();
    EXPECT_FALSE(h.is_finished());
    EXPECT_EQ(c.live(), 1) << "the item is in the collect's vector";
    h.cancel();
    ex.run_until_idle();
    EXPECT_EQ(c.live(), 0);
  }
}

// ---- forward

Task<std::vector<int>> slow_drain(Receiver<int> rx, std::size_t& max_queued) {
  std::vector<int> got;
  for (;;) {
    max_queued = std::max(max_queued, rx.size());
    co_await troupe::sleep_for(1s);
    auto v = co_await rx.recv();
    if (!v) co_return got;
    got.push_back(*v);
  }
}

TEST(StreamForward, SendsEveryItemThroughABoundedChannelWithBackpressure) {
  TestExecutor ex;
  auto [tx, rx] = channel::bounded<int>(1);
  Feed<int> feed;
  for (int v : range(0, 5)) feed.push(v);
  feed.close();
  std::size_t max_queued = 0;
  auto consumer = ex.spawn(slow_drain(rx, max_queued));
  auto fwd = ex.spawn(stream::forward(feed.stream(), std::move(tx)));
  ex.run_until_idle();
  EXPECT_FALSE(fwd.is_finished()) << "waiting for room";
  EXPECT_EQ(rx.size(), 1u);
  EXPECT_EQ(feed.queued(), 3u) << "one item in the channel, one in the waiting send: no more taken";
  ex.advance_and_run(2s);
  EXPECT_EQ(feed.queued(), 1u) << "one item taken per item received";
  ex.advance_and_run(10s);
  ASSERT_TRUE(fwd.is_finished());
  ASSERT_TRUE(consumer.is_finished())
      << "the last Sender went with the forward: the channel closed";
  auto r = fwd.wait();
  EXPECT_EQ(r.sent, 5u);
  EXPECT_FALSE(r.closed);
  EXPECT_FALSE(r.unsent.has_value());
  EXPECT_EQ(consumer.wait(), range(0, 5));
  EXPECT_LE(max_queued, 1u);
}

TEST(StreamForward, IntoAClosedChannelTakesNothingFromTheStream) {
  TestExecutor ex;
  auto [tx, rx] = channel::bounded<int>(1);
  rx.close();
  Feed<int> feed;
  feed.push(1);
  auto r = ex.block_on(feed.stream() | stream::forward(tx));
  EXPECT_EQ(r.sent, 0u);
  EXPECT_TRUE(r.closed);
  EXPECT_FALSE(r.unsent.has_value());
  EXPECT_EQ(feed.queued(), 1u) << "the item is still in the stream";
}

TEST(StreamForward, AChannelThatClosesWhileASendWaitsHandsTheItemBack) {
  TestExecutor ex;
  auto [tx, rx] = channel::bounded<int>(1);
  auto fwd = ex.spawn(Counter(0) | stream::forward(tx));
  ex.run_until_idle();
  ASSERT_FALSE(fwd.is_finished());
  EXPECT_EQ(rx.try_recv().value(), 0);
  ex.run_until_idle();
  EXPECT_EQ(rx.try_recv().value(), 1);
  ex.run_until_idle();
  rx.close();  // item 2 is queued; the forward waits to send item 3
  ex.run_until_idle();
  ASSERT_TRUE(fwd.is_finished());
  auto r = fwd.wait();
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.sent, 3u);
  ASSERT_TRUE(r.unsent.has_value()) << "the refused item is handed back";
  EXPECT_EQ(*r.unsent, 3);
}

TEST(StreamForward, AnExceptionFromTheStreamEndsTheTaskWithIt) {
  TestExecutor ex;
  auto [tx, rx] = channel::unbounded<int>();
  Feed<int> feed;
  feed.push(1);
  feed.fail();
  EXPECT_THROW((void)ex.block_on(feed.stream() | stream::forward(tx)), FeedFailure);
  EXPECT_EQ(rx.try_recv().value(), 1);
}

TEST(StreamForward, PipesAStageOfAPipelineIntoTheNextOnARuntime) {
  Runtime rt({.workers = 4});
  constexpr int kItems = 1000;
  auto [in_tx, in_rx] = channel::bounded<int>(1);
  auto [out_tx, out_rx] = channel::bounded<int>(1);
  auto stage = rt.spawn(std::move(in_rx) | stream::map([](int v) { return 2 * v; }) |
                        stream::forward(std::move(out_tx)));
  auto feeder = rt.spawn(stream::forward(stream::iter(range(0, kItems)), std::move(in_tx)));
  auto out = rt.block_on(stream::collect(std::move(out_rx)));
  std::sort(out.begin(), out.end());
  std::vector<int> doubled;
  for (int v : range(0, kItems)) doubled.push_back(2 * v);
  EXPECT_EQ(out, doubled);
  EXPECT_EQ(feeder.wait().sent, static_cast<std::size_t>(kItems));
  auto r = stage.wait();
  EXPECT_EQ(r.sent, static_cast<std::size_t>(kItems));
  EXPECT_FALSE(r.closed);
}

}  // namespace
