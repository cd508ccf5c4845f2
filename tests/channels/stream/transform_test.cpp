// One-to-one and one-to-fewer combinators: map, filter, filter_map, take,
// take_while, skip.

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/collect.hpp>
#include <troupe/channels/stream/filter.hpp>
#include <troupe/channels/stream/filter_map.hpp>
#include <troupe/channels/stream/iter.hpp>
#include <troupe/channels/stream/map.hpp>
#include <troupe/channels/stream/skip.hpp>
#include <troupe/channels/stream/take.hpp>
#include <troupe/channels/stream/take_while.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

#include "test_streams.hpp"

// Counts every allocation of the process, so a test can check that a
// pipeline of plain combinators allocates nothing per item.
namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// Kept out of line: inlined, g++ would pair the free() below with the new
// expressions it sees and warn of a mismatch.
[[gnu::noinline]] void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using troupe::AsyncStream;
using troupe::StreamPoll;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::Boom;
using troupe::test::Counter;
using troupe::test::drain;
using troupe::test::drained;
using troupe::test::Feed;
using troupe::test::ints;
using troupe::test::poll_once;
using troupe::test::ProbeTask;
using troupe::test::Untouchable;
namespace stream = troupe::stream;

// What a consumer sees, item by item: the value, "!" for an exception of
// type Boom or FeedFailure, then "end".
template <AsyncStream S>
Task<std::vector<std::string>> observe(S s) {
  std::vector<std::string> seen;
  for (;;) {
    try {
      auto v = co_await s.next();
      if (!v) break;
      seen.push_back(std::to_string(*v));
    } catch (const Boom&) {
      seen.push_back("!");
    } catch (const troupe::test::FeedFailure&) {
      seen.push_back("!");
    }
  }
  seen.push_back("end");
  co_return seen;
}

using Seen = std::vector<std::string>;

// ---- map

TEST(StreamMap, AppliesTheFunctionToEveryItemAndMayChangeTheType) {
  auto s = stream::map(stream::iter(ints({1, 2, 3})), [](int x) { return std::to_string(x * 10); });
  static_assert(std::is_same_v<decltype(s)::value_type, std::string>);
  EXPECT_EQ(drain(s), (std::vector<std::string>{"10", "20", "30"}));
}

TEST(StreamMap, AnEmptySourceGivesAnEmptyStreamWithoutCallingTheFunction) {
  int calls = 0;
  auto s = stream::iter(ints({})) | stream::map([&](int x) {
             ++calls;
             return x;
           });
  EXPECT_TRUE(drain(s).empty());
  EXPECT_EQ(calls, 0);
}

TEST(StreamMap, IsPendingWhileItsSourceIsAndTheSourceWakesTheConsumer) {
  ProbeTask probe;
  Feed<int> feed;
  auto s = feed.stream() | stream::map([](int x) { return x + 1; });
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  EXPECT_TRUE(feed.has_waker()) << "the source registered the poller's waker";
  feed.push(4);
  EXPECT_EQ(probe.wakes(), 1);
  auto p = poll_once(s, probe);
  ASSERT_TRUE(p.is_item());
  EXPECT_EQ(p.value(), 5);
}

TEST(StreamMap, AnExceptionFromTheFunctionReachesTheConsumerAndTheStreamGoesOn) {
  TestExecutor ex;
  auto s = stream::iter(ints({1, 2, 3})) | stream::map([](int x) {
             if (x == 2) throw Boom();
             return x;
           });
  EXPECT_EQ(ex.block_on(observe(std::move(s))), (Seen{"1", "!", "3", "end"}));
}

TEST(StreamMap, AnExceptionFromTheSourceGoesThroughAndTheStreamGoesOn) {
  TestExecutor ex;
  Feed<int> feed;
  feed.push(1);
  feed.fail();
  auto h = ex.spawn(observe(feed.stream() | stream::map([](int x) { return x * 2; })));
  ex.run_until_idle();
  feed.push(5);  // after the failure
  feed.close();
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(h.wait(), (Seen{"2", "!", "10", "end"}));
}

// ---- filter

TEST(StreamFilter, KeepsOnlyTheItemsThatSatisfyThePredicate) {
  auto s =
      stream::iter(ints({1, 2, 3, 4, 5, 6})) | stream::filter([](int x) { return x % 2 == 0; });
  EXPECT_EQ(drain(s), ints({2, 4, 6}));
}

TEST(StreamFilter, AnExceptionFromThePredicateReachesTheConsumerAndTheStreamGoesOn) {
  TestExecutor ex;
  auto s = stream::iter(ints({1, 2, 3, 4})) | stream::filter([](int x) {
             if (x == 3) throw Boom();
             return x != 1;
           });
  EXPECT_EQ(ex.block_on(observe(std::move(s))), (Seen{"2", "!", "4", "end"}));
}

TEST(StreamFilter, RejectingALongRunOfReadyItemsGivesTheWorkerBack) {
  std::size_t polls = 0;
  auto s = Counter(0, &polls) | stream::filter([](int) { return false; });
  ProbeTask probe;
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  EXPECT_EQ(polls, stream::detail::kDiscardBudget);
  EXPECT_EQ(probe.wakes(), 1) << "it woke its own task, so it will be polled again";
}

Task<void> set_flag(bool& flag) {
  flag = true;
  co_return;
}

TEST(StreamFilter, AnEndlessRunOfRejectedItemsDoesNotStarveOtherTasks) {
  TestExecutor ex;
  auto none = Counter() | stream::filter([](int) { return false; });
  auto consumer = ex.spawn(observe(std::move(none)));
  bool other_ran = false;
  auto other = ex.spawn(set_flag(other_ran));
  for (int i = 0; i < 10 && !other_ran; ++i) ASSERT_TRUE(ex.step());
  EXPECT_TRUE(other_ran) << "the other task ran while the filter kept rejecting";
  EXPECT_FALSE(consumer.is_finished());
  consumer.cancel();
  ex.run_until_idle();
}

// ---- filter_map

TEST(StreamFilterMap, KeepsTheEngagedResultsOnly) {
  auto s = stream::iter(std::vector<std::string>{"1", "x", "3", ""}) |
           stream::filter_map([](const std::string& t) -> std::optional<int> {
             if (t.empty() || t[0] < '0' || t[0] > '9') return std::nullopt;
             return std::stoi(t);
           });
  static_assert(std::is_same_v<decltype(s)::value_type, int>);
  EXPECT_EQ(drain(s), ints({1, 3}));
}

TEST(StreamFilterMap, AnExceptionFromTheFunctionReachesTheConsumerAndTheStreamGoesOn) {
  TestExecutor ex;
  auto s = stream::filter_map(stream::iter(ints({1, 2, 3})), [](int x) -> std::optional<int> {
    if (x == 1) throw Boom();
    return x * 100;
  });
  EXPECT_EQ(ex.block_on(observe(std::move(s))), (Seen{"!", "200", "300", "end"}));
}

TEST(StreamFilterMap, RejectingALongRunOfReadyItemsGivesTheWorkerBack) {
  std::size_t polls = 0;
  auto s = Counter(0, &polls) | stream::filter_map([](int) -> std::optional<int> { return {}; });
  ProbeTask probe;
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  EXPECT_EQ(polls, stream::detail::kDiscardBudget);
  EXPECT_EQ(probe.wakes(), 1);
}

// ---- take

TEST(StreamTake, YieldsTheFirstNItemsAndDoesNotPollTheSourceAgain) {
  std::size_t polls = 0;
  auto s = Counter(10, &polls) | stream::take(3);
  EXPECT_EQ(drain(s), ints({10, 11, 12}));
  EXPECT_EQ(polls, 3u) << "the end came without a fourth poll of the source";
  EXPECT_EQ(s.remaining(), 0u);
}

TEST(StreamTake, ZeroEndsAtOnceWithoutPollingTheSource) {
  std::size_t polls = 0;
  auto s = Untouchable<int>(&polls) | stream::take(0);
  ProbeTask probe;
  EXPECT_TRUE(poll_once(s, probe).is_end());
  EXPECT_EQ(polls, 0u);
}

TEST(StreamTake, EndsEarlyWhenTheSourceDoes) {
  EXPECT_EQ(drained(stream::iter(ints({1, 2})) | stream::take(5)), ints({1, 2}));
}

TEST(StreamTake, StopsAnEndlessStreamSoItCanBeCollected) {
  TestExecutor ex;
  EXPECT_EQ(ex.block_on(Counter() | stream::take(4) | stream::collect()), ints({0, 1, 2, 3}));
}

TEST(StreamTake, PendingPollsDoNotCountAsItems) {
  ProbeTask probe;
  Feed<int> feed;
  auto s = feed.stream() | stream::take(2);
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  feed.push(1);
  feed.push(2);
  feed.push(3);
  EXPECT_EQ(drain(s), ints({1, 2}));
  EXPECT_EQ(feed.queued(), 1u) << "the third item stays in the source";
}

// ---- take_while

TEST(StreamTakeWhile, StopsAtTheFirstItemThatFailsAndNeverPollsAgain) {
  std::size_t polls = 0;
  auto s = Counter(0, &polls) | stream::take_while([](int x) { return x < 3; });
  EXPECT_EQ(drain(s), ints({0, 1, 2}));
  EXPECT_EQ(polls, 4u) << "the failing item (3) was taken, and nothing after it";
  ProbeTask probe;
  EXPECT_TRUE(poll_once(s, probe).is_end());
  EXPECT_EQ(polls, 4u);
}

TEST(StreamTakeWhile, AnEmptySourceEnds) {
  EXPECT_TRUE(
      drained(stream::iter(ints({})) | stream::take_while([](int) { return true; })).empty());
}

TEST(StreamTakeWhile, AnExceptionFromThePredicateReachesTheConsumerAndTheStreamGoesOn) {
  TestExecutor ex;
  auto s = stream::iter(ints({1, 2, 3, 9, 4})) | stream::take_while([](int x) {
             if (x == 2) throw Boom();
             return x < 5;
           });
  EXPECT_EQ(ex.block_on(observe(std::move(s))), (Seen{"1", "!", "3", "end"}));
}

// ---- skip

TEST(StreamSkip, DropsTheFirstNItems) {
  EXPECT_EQ(drained(stream::iter(ints({1, 2, 3, 4})) | stream::skip(2)), ints({3, 4}));
  EXPECT_EQ(drained(stream::iter(ints({1, 2})) | stream::skip(0)), ints({1, 2}));
}

TEST(StreamSkip, MoreThanTheSourceHasGivesAnEmptyStream) {
  EXPECT_TRUE(drained(stream::iter(ints({1, 2})) | stream::skip(5)).empty());
}

TEST(StreamSkip, SkipsItemsThatArriveAcrossPendingPolls) {
  ProbeTask probe;
  Feed<int> feed;
  auto s = feed.stream() | stream::skip(2);
  feed.push(1);
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  feed.push(2);
  feed.push(3);
  auto p = poll_once(s, probe);
  ASSERT_TRUE(p.is_item());
  EXPECT_EQ(p.value(), 3);
}

TEST(StreamSkip, ALongSkipOfReadyItemsGivesTheWorkerBackAndThenGoesOn) {
  const std::size_t n = 3 * stream::detail::kDiscardBudget;
  auto s = Counter() | stream::skip(n);
  ProbeTask probe;
  std::size_t pending = 0;
  StreamPoll<int> p = poll_once(s, probe);
  for (; p.is_pending(); p = poll_once(s, probe)) ++pending;
  ASSERT_TRUE(p.is_item());
  EXPECT_EQ(p.value(), static_cast<int>(n));
  EXPECT_EQ(pending, 3u);
  EXPECT_EQ(probe.wakes(), 3);
}

// ---- together

TEST(StreamPipeline, PlainCombinatorsAllocateNothingPerItem) {
  auto s = Counter() | stream::skip(1) | stream::filter([](int x) { return x % 3 != 0; }) |
           stream::map([](int x) { return x * 2; }) |
           stream::filter_map([](int x) -> std::optional<long> { return x; }) |
           stream::take_while([](long x) { return x < 1'000'000; }) | stream::take(10'000);
  ProbeTask probe;
  long sum = 0;
  const std::size_t before = g_allocations.load();
  ASSERT_GT(before, 0u) << "the counting operator new is in use";
  for (StreamPoll<long> p = poll_once(s, probe); !p.is_end(); p = poll_once(s, probe)) {
    ASSERT_TRUE(p.is_item());
    sum += p.value();
  }
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_GT(sum, 0);
}

TEST(StreamPipeline, ComposesInOrder) {
  TestExecutor ex;
  auto out = ex.block_on(
      stream::iter(ints({5, 1, 8, 2, 9, 3, 7})) | stream::skip(1) |
      stream::filter([](int x) { return x > 1; }) | stream::map([](int x) { return x * 10; }) |
      stream::take_while([](int x) { return x < 90; }) | stream::take(2) | stream::collect());
  EXPECT_EQ(out, ints({80, 20}));
}

}  // namespace
