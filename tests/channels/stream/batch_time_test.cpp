// Batching, concurrency and time: chunks, ready_chunks, buffered, timeout,
// throttle. Time runs on the TestExecutor's virtual clock.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/async_stream.hpp>
#include <troupe/channels/stream/buffered.hpp>
#include <troupe/channels/stream/chunks.hpp>
#include <troupe/channels/stream/collect.hpp>
#include <troupe/channels/stream/iter.hpp>
#include <troupe/channels/stream/ready_chunks.hpp>
#include <troupe/channels/stream/throttle.hpp>
#include <troupe/channels/stream/timeout.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/unobserved_failure.hpp>
#include <troupe/runtime/yield.hpp>

#include "test_streams.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::AsyncStream;
using troupe::Duration;
using troupe::Runtime;
using troupe::Task;
using troupe::TestExecutor;
using troupe::test::Boom;
using troupe::test::drain;
using troupe::test::drained;
using troupe::test::Feed;
using troupe::test::FeedFailure;
using troupe::test::kT0;
using troupe::test::LifeCounter;
using troupe::test::poll_once;
using troupe::test::ProbeTask;
using troupe::test::range;
using troupe::test::Tracked;
using troupe::test::value_after;
namespace stream = troupe::stream;

using Batches = std::vector<std::vector<int>>;

// Records every item a stream hands out, with the virtual time it came at
// (relative to kT0), until the stream ends.
template <AsyncStream S, class Show>
Task<void> log_items(S s, TestExecutor& ex, std::vector<std::pair<Duration, std::string>>& log,
                     Show show) {
  while (auto v = co_await s.next()) log.emplace_back(ex.now() - kT0, show(*v));
  log.emplace_back(ex.now() - kT0, "end");
}
using Log = std::vector<std::pair<Duration, std::string>>;

// ---- chunks

TEST(StreamChunks, GroupsItemsByNWithAShorterLastChunk) {
  EXPECT_EQ(drained(stream::iter(range(1, 8)) | stream::chunks(3)),
            (Batches{{1, 2, 3}, {4, 5, 6}, {7}}));
}

TEST(StreamChunks, AnExactMultipleHasNoEmptyLastChunkAndAnEmptySourceHasNone) {
  EXPECT_EQ(drained(stream::iter(range(1, 7)) | stream::chunks(3)),
            (Batches{{1, 2, 3}, {4, 5, 6}}));
  EXPECT_TRUE(drained(stream::iter(range(0, 0)) | stream::chunks(3)).empty());
}

TEST(StreamChunks, ASizeOfZeroIsRejected) {
  EXPECT_THROW((void)(stream::iter(range(0, 3)) | stream::chunks(0)), std::invalid_argument);
}

TEST(StreamChunks, WaitsForAFullChunkAcrossPendingPolls) {
  ProbeTask probe;
  Feed<int> feed;
  auto s = feed.stream() | stream::chunks(3);
  feed.push(1);
  feed.push(2);
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  EXPECT_TRUE(feed.has_waker());
  feed.push(3);
  feed.push(4);
  EXPECT_EQ(probe.wakes(), 1);
  EXPECT_EQ(poll_once(s, probe).value(), (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(poll_once(s, probe).is_pending());
  feed.close();
  EXPECT_EQ(poll_once(s, probe).value(), (std::vector<int>{4})) << "the partial chunk at the end";
  EXPECT_TRUE(poll_once(s, probe).is_end());
}

TEST(StreamChunks, KeepsTheItemsOfAChunkAcrossAnExceptionFromTheSource) {
  ProbeTask probe;
  Feed<int> feed;
  feed.push(1);
  feed.fail();
  feed.push(2);
  feed.push(3);
  auto s = feed.stream() | stream::chunks(3);
  EXPECT_THROW((void)poll_once(s, probe), FeedFailure);
  EXPECT_EQ(poll_once(s, probe).value(), (std::vector<int>{1, 2, 3}));
}

// ---- ready_chunks

TEST(StreamReadyChunks, TakesWhatIsReadyUpToNAndIsNeverEmpty) {
  ProbeTask probe;
  Feed<int> feed;
  for (int i = 0; i < 5; ++i) feed.push(i);
  auto s = feed.stream() | stream::ready_chunks(3);
  EXPECT_EQ(poll_once(s, probe).value(), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(poll_once(s, probe).value(), (std::vector<int>{3, 4})) << "what was ready, not 3";
  EXPECT_TRUE(poll_once(s, probe).is_pending()) << "nothing ready: pending, not an empty batch";
  EXPECT_TRUE(feed.has_waker());
  feed.push(9);
  EXPECT_EQ(probe.wakes(), 1);
  EXPECT_EQ(poll_once(s, probe).value(), (std::vector<int>{9}));
  feed.push(10);
  feed.close();
  EXPECT_EQ(poll_once(s, probe).value(), (std::vector<int>{10}));
  EXPECT_TRUE(poll_once(s, probe).is_end());
}

TEST(StreamReadyChunks, ASizeOfZeroIsRejected) {
  EXPECT_THROW((void)(stream::iter(range(0, 3)) | stream::ready_chunks(0)), std::invalid_argument);
}

TEST(StreamReadyChunks, ItemsTakenBeforeAnExceptionComeWithTheNextBatch) {
  ProbeTask probe;
  Feed<int> feed;
  feed.push(1);
  feed.push(2);
  feed.fail();
  feed.push(3);
  auto s = feed.stream() | stream::ready_chunks(10);
  EXPECT_THROW((void)poll_once(s, probe), FeedFailure);
  EXPECT_EQ(poll_once(s, probe).value(), (std::vector<int>{1, 2, 3}));
}

Task<void> batch_consumer(Feed<int>::Stream s, Batches& out) {
  auto batches = std::move(s) | stream::ready_chunks(4);
  while (auto b = co_await batches.next()) out.push_back(std::move(*b));
}

TEST(StreamReadyChunks, AnActorGetsEachBurstAsOneBatch) {
  TestExecutor ex;
  Feed<int> mailbox;
  Batches got;
  auto h = ex.spawn(batch_consumer(mailbox.stream(), got));
  ex.run_until_idle();
  mailbox.push(1);
  ex.run_until_idle();
  for (int i = 2; i <= 7; ++i) mailbox.push(i);
  ex.run_until_idle();
  mailbox.close();
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(got, (Batches{{1}, {2, 3, 4, 5}, {6, 7}}));
}

// ---- buffered

TEST(StreamBuffered, RunsTheTasksConcurrentlyAndKeepsTheInputOrder) {
  TestExecutor ex;
  auto s = stream::iter(std::vector<int>{30, 10, 20}) | stream::buffered(3, [](int secs) {
             return value_after(std::chrono::seconds(secs), secs);
           });
  EXPECT_EQ(ex.block_on(std::move(s) | stream::collect()), (std::vector<int>{30, 10, 20}));
  EXPECT_EQ(ex.now(), kT0 + 30s) << "the three ran at once: 30s, not 60s";
}

struct Concurrency {
  int current = 0;
  int max = 0;
  int started = 0;
};

Task<int> counted_work(Concurrency& c, int v) {
  ++c.started;
  c.max = std::max(c.max, ++c.current);
  co_await troupe::sleep_for(1s);
  --c.current;
  co_return v* v;
}

TEST(StreamBuffered, RunsAtMostNTasksAtOnce) {
  TestExecutor ex;
  Concurrency c;
  auto s =
      stream::iter(range(0, 10)) | stream::buffered(3, [&c](int v) { return counted_work(c, v); });
  auto out = ex.block_on(std::move(s) | stream::collect());
  std::vector<int> squares;
  for (int v : range(0, 10)) squares.push_back(v * v);
  EXPECT_EQ(out, squares);
  EXPECT_EQ(c.max, 3) << "three at once, never more";
  EXPECT_EQ(ex.now(), kT0 + 4s) << "waves of 3, 3, 3 and 1";
}

TEST(StreamBuffered, TakesNoMoreItemsFromTheSourceThanItHasRoomFor) {
  TestExecutor ex;
  Feed<int> feed;
  for (int i = 0; i < 10; ++i) feed.push(i);
  feed.close();
  Concurrency c;
  auto s = feed.stream() | stream::buffered(2, [&c](int v) { return counted_work(c, v); });
  auto h = ex.spawn(std::move(s) | stream::collect());
  ex.run_until_idle();
  EXPECT_EQ(feed.queued(), 8u) << "2 taken for the 2 slots";
  EXPECT_EQ(c.started, 2);
  EXPECT_EQ(ex.live_tasks(), 3u) << "the consumer and two workers";
  ex.advance_and_run(1s);
  EXPECT_EQ(c.started, 4);
  EXPECT_EQ(c.max, 2);
  h.cancel();
  ex.run_until_idle();
}

Task<int> fail_for_two(int v) {
  co_await troupe::sleep_for(1s);
  if (v == 2) throw Boom();
  co_return v;
}

// What a consumer sees, item by item: the value, or "!" for a Boom in its
// place. Nothing marks the end.
template <AsyncStream S>
Task<std::vector<std::string>> observe_items(S s) {
  std::vector<std::string> seen;
  for (;;) {
    try {
      auto v = co_await s.next();
      if (!v) break;
      seen.push_back(std::to_string(*v));
    } catch (const Boom&) {
      seen.push_back("!");
    }
  }
  co_return seen;
}

TEST(StreamBuffered, AFailedTaskReachesTheConsumerInItsItemsPlace) {
  TestExecutor ex;
  auto s = stream::iter(range(1, 5)) | stream::buffered(2, fail_for_two);
  EXPECT_EQ(ex.block_on(observe_items(std::move(s))),
            (std::vector<std::string>{"1", "!", "3", "4"}));
}

TEST(StreamBuffered, AnExceptionFromTheFunctionReachesTheConsumerAndTheStreamGoesOn) {
  TestExecutor ex;
  auto s = stream::iter(range(1, 4)) | stream::buffered(2, [](int v) -> Task<int> {
             if (v == 1) throw Boom();
             return value_after(1s, v);
           });
  EXPECT_EQ(ex.block_on(observe_items(std::move(s))), (std::vector<std::string>{"!", "2", "3"}));
}

Task<int> guarded_forever(Tracked guard) {
  co_await troupe::sleep_for(1h);
  co_return guard.value();
}

TEST(StreamBuffered, DroppingTheStreamCancelsTheTasksInFlight) {
  TestExecutor ex;
  LifeCounter c;
  auto s = stream::iter(range(0, 5)) |
           stream::buffered(3, [&c](int v) { return guarded_forever(Tracked(c, v)); });
  auto consumer = ex.spawn(observe_items(std::move(s)));
  ex.run_until_idle();
  ASSERT_EQ(c.live(), 3) << "three tasks in flight, each holding a guard";
  ASSERT_EQ(ex.live_tasks(), 4u);
  consumer.cancel();  // destroys its frame, and the stream with it
  ex.run_until_idle();
  EXPECT_EQ(c.live(), 0) << "the in-flight tasks' frames were destroyed";
  EXPECT_EQ(ex.live_tasks(), 0u);
  EXPECT_EQ(ex.pending_timers(), 0u);
}

Task<int> fail_at_once(int) {
  throw Boom();
  co_return 0;
}

TEST(StreamBuffered, ResultsNeverHandedOutAreDroppedWithoutAnUnobservedFailure) {
  std::atomic<int> reported{0};
  troupe::set_unobserved_failure_hook([&](std::exception_ptr) { reported.fetch_add(1); });
  {
    TestExecutor ex;
    Feed<int> feed;
    feed.push(1);
    feed.push(2);
    auto s = feed.stream() | stream::buffered(2, fail_at_once);
    auto consumer = ex.spawn([](decltype(s)& s) -> Task<bool> {
      try {
        (void)co_await troupe::next(s);
      } catch (const Boom&) {
        co_return true;
      }
      co_return false;
    }(s));
    ex.run_until_idle();  // both fail; the first failure went to the consumer
    EXPECT_TRUE(consumer.wait());
    EXPECT_EQ(ex.live_tasks(), 0u);
    EXPECT_EQ(s.in_flight(), 1u) << "the second result was never handed out";
  }
  EXPECT_EQ(reported.load(), 0);
  troupe::set_unobserved_failure_hook({});
}

Task<int> square_on_runtime(std::atomic<int>& current, std::atomic<int>& max, int v) {
  const int now = current.fetch_add(1) + 1;
  for (int seen = max.load(); now > seen && !max.compare_exchange_weak(seen, now);) {
  }
  co_await troupe::yield_now();
  co_await troupe::yield_now();
  current.fetch_sub(1);
  co_return v* v;
}

TEST(StreamBuffered, OnAMultiThreadedRuntimeKeepsOrderAndTheLimit) {
  Runtime rt({.workers = 4});
  std::atomic<int> current{0};
  std::atomic<int> max{0};
  auto s = stream::iter(range(0, 300)) |
           stream::buffered(4, [&](int v) { return square_on_runtime(current, max, v); });
  auto out = rt.block_on(std::move(s) | stream::collect());
  std::vector<int> squares;
  for (int v : range(0, 300)) squares.push_back(v * v);
  EXPECT_EQ(out, squares);
  EXPECT_LE(max.load(), 4);
  EXPECT_GE(max.load(), 1);
}

// ---- timeout

TEST(StreamTimeout, ReadyItemsComeThroughWithoutArmingATimer) {
  TestExecutor ex;
  auto out = ex.block_on(stream::iter(range(1, 4)) | stream::timeout(10s) | stream::collect());
  ASSERT_EQ(out.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)].value(), i + 1);
  EXPECT_EQ(ex.now(), kT0);
  EXPECT_EQ(ex.pending_timers(), 0u);
}

TEST(StreamTimeout, YieldsElapsedWhenNoItemComesWithinTheLimitAndKeepsGoing) {
  TestExecutor ex;
  Feed<int> feed;
  Log log;
  auto h = ex.spawn(log_items(
      feed.stream() | stream::timeout(10s), ex, log, [](const troupe::TimeoutResult<int>& r) {
        return r.timed_out() ? std::string("elapsed") : std::to_string(r.value());
      }));
  ex.advance_and_run(4s);
  EXPECT_TRUE(log.empty());
  feed.push(1);  // at 4s: in time
  ex.run_until_idle();
  ex.advance_and_run(10s - 1ns);
  EXPECT_EQ(log.size(), 1u) << "not a nanosecond early";
  ex.advance_and_run(1ns);  // 14s: 10s after the consumer asked again
  feed.push(2);             // right after the elapsed result: not lost
  ex.run_until_idle();
  ex.advance_and_run(16s);  // elapsed at 24s
  feed.push(3);             // at 30s
  feed.close();
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(
      log,
      (Log{{4s, "1"}, {14s, "elapsed"}, {14s, "2"}, {24s, "elapsed"}, {30s, "3"}, {30s, "end"}}));
  EXPECT_EQ(ex.pending_timers(), 0u);
}

TEST(StreamTimeout, ANonPositiveLimitIsRejected) {
  EXPECT_THROW((void)(stream::iter(range(0, 1)) | stream::timeout(0s)), std::invalid_argument);
}

TEST(StreamTimeout, DroppingAWaitingStreamRemovesItsTimer) {
  TestExecutor ex;
  Feed<int> feed;
  Log log;
  auto h = ex.spawn(log_items(feed.stream() | stream::timeout(10s), ex, log,
                              [](const troupe::TimeoutResult<int>&) { return std::string(); }));
  ex.run_until_idle();
  EXPECT_EQ(ex.pending_timers(), 1u);
  h.cancel();
  ex.run_until_idle();
  EXPECT_EQ(ex.pending_timers(), 0u);
}

// ---- throttle

std::string show_int(int v) { return std::to_string(v); }

TEST(StreamThrottle, SpacesReadyItemsOnePeriodApartAndDropsNone) {
  TestExecutor ex;
  Log log;
  ex.block_on(log_items(stream::iter(range(1, 6)) | stream::throttle(1s), ex, log, show_int));
  // The end, like an item, is only looked for once the period is over.
  EXPECT_EQ(log, (Log{{0s, "1"}, {1s, "2"}, {2s, "3"}, {3s, "4"}, {4s, "5"}, {5s, "end"}}));
}

TEST(StreamThrottle, ItemsFurtherApartThanThePeriodAreNotDelayed) {
  TestExecutor ex;
  Feed<int> feed;
  Log log;
  auto h = ex.spawn(log_items(feed.stream() | stream::throttle(1s), ex, log, show_int));
  feed.push(1);
  ex.advance_and_run(5s);
  feed.push(2);  // at 5s
  ex.advance_and_run(500ms);
  feed.push(3);  // at 5.5s: held back until 6s
  ex.advance_and_run(5s);
  feed.close();
  ex.run_until_idle();
  ASSERT_TRUE(h.is_finished());
  EXPECT_EQ(log, (Log{{0s, "1"}, {5s, "2"}, {6s, "3"}, {10500ms, "end"}}));
}

TEST(StreamThrottle, DoesNotTakeItemsFromTheSourceWhileHoldingBack) {
  TestExecutor ex;
  Feed<int> feed;
  for (int i = 0; i < 3; ++i) feed.push(i);
  Log log;
  auto h = ex.spawn(log_items(feed.stream() | stream::throttle(1s), ex, log, show_int));
  ex.run_until_idle();
  EXPECT_EQ(log.size(), 1u);
  EXPECT_EQ(feed.queued(), 2u) << "the source feels the limit as backpressure";
  const std::size_t polls = feed.polls();
  ex.advance_and_run(999ms);
  EXPECT_EQ(feed.polls(), polls);
  ex.advance_and_run(1ms);
  EXPECT_EQ(log.size(), 2u);
  h.cancel();
  ex.run_until_idle();
  EXPECT_EQ(ex.pending_timers(), 0u);
}

TEST(StreamThrottle, ANonPositivePeriodIsRejected) {
  EXPECT_THROW((void)(stream::iter(range(0, 1)) | stream::throttle(-1s)), std::invalid_argument);
}

}  // namespace
