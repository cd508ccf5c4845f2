#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/detail/executor.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>

#include "test_support.hpp"

namespace {

using troupe::JoinHandle;
using troupe::Task;
using troupe::TaskCancelled;
using troupe::detail::Executor;
using troupe::detail::spawn_on;
using troupe::test::Countdown;
using troupe::test::Forever;
using troupe::test::Gate;
using troupe::test::kFailFast;
using troupe::test::LifeCounter;
using troupe::test::Notify;
using troupe::test::set_flag;
using troupe::test::Tracked;
using troupe::test::WakeSelfOnce;

Task<void> record_run(std::atomic<std::uint8_t>* runs, std::uint64_t id,
                      std::atomic<std::uint64_t>& sum, Countdown& done) {
  runs[id].fetch_add(1, std::memory_order_relaxed);
  sum.fetch_add(id, std::memory_order_relaxed);
  done.count_down();
  co_return;
}

TEST(Executor, AHundredThousandTasksSpawnedFromFourThreadsEachRunExactlyOnce) {
  constexpr std::uint64_t kThreads = 4;
  constexpr std::uint64_t kPerThread = 25'000;
  constexpr std::uint64_t kTotal = kThreads * kPerThread;
  Executor ex(2);
  auto runs = std::make_unique<std::atomic<std::uint8_t>[]>(kTotal);
  std::atomic<std::uint64_t> sum{0};
  Countdown done(kTotal);
  troupe::test::run_concurrently(kThreads, [&](std::size_t t) {
    for (std::uint64_t i = 0; i < kPerThread; ++i) {
      spawn_on(ex, record_run(runs.get(), t * kPerThread + i, sum, done)).detach();
    }
  });
  const bool all_ran = done.wait_for();
  if (!all_ran) ex.shutdown();
  ASSERT_TRUE(all_ran) << done.left() << " tasks never ran";
  std::uint64_t expected_sum = 0;
  std::uint64_t not_once = 0;
  for (std::uint64_t i = 0; i < kTotal; ++i) {
    expected_sum += i;
    if (runs[i].load() != 1) ++not_once;
  }
  EXPECT_EQ(not_once, 0u);
  EXPECT_EQ(sum.load(), expected_sum);
  ex.shutdown();
  EXPECT_EQ(ex.live_tasks(), 0u);
  for (std::uint64_t i = 0; i < kTotal; ++i) ASSERT_EQ(runs[i].load(), 1) << "ran again: " << i;
}

Task<std::uint64_t> tree(int depth) {
  if (depth == 0) co_return 1;
  auto left = troupe::spawn(tree(depth - 1));
  auto right = troupe::spawn(tree(depth - 1));
  const std::uint64_t l = co_await left;
  const std::uint64_t r = co_await right;
  co_return l + r + 1;
}

TEST(Executor, TasksSpawningTasksFormATreeThatCompletes) {
  constexpr int kDepth = 14;  // 2^15 - 1 tasks
  Executor ex(2);
  auto h = spawn_on(ex, tree(kDepth));
  EXPECT_EQ(h.wait(), (std::uint64_t{1} << (kDepth + 1)) - 1);
  EXPECT_EQ(ex.live_tasks(), 0u);
}

Task<void> count_task(Countdown& done, std::thread::id parent, std::atomic<int>& on_parent) {
  if (std::this_thread::get_id() == parent) on_parent.fetch_add(1);
  done.count_down();
  co_return;
}

// Spawns `n` children, then blocks its worker until they all ran (or the
// fail-fast deadline passed): only another worker can run them.
Task<bool> spawn_then_block(int n, Countdown& done, std::atomic<int>& on_parent) {
  const auto me = std::this_thread::get_id();
  for (int i = 0; i < n; ++i) troupe::spawn(count_task(done, me, on_parent)).detach();
  co_return done.wait_for(kFailFast);
}

TEST(Executor, WorkSpawnedOnABusyWorkerIsStolenByAnIdleOne) {
  constexpr int kChildren = 100;  // fewer than a local queue holds: no overflow
  Executor ex(2);
  Countdown done(kChildren);
  std::atomic<int> on_parent{0};
  EXPECT_TRUE(spawn_on(ex, spawn_then_block(kChildren, done, on_parent)).wait())
      << done.left() << " of the " << kChildren << " children were never stolen";
  ex.shutdown();
  EXPECT_EQ(done.left(), 0);
  EXPECT_EQ(on_parent.load(), 0) << "children ran on the blocked worker";
}

Task<std::uint64_t> spawn_burst(int n, std::atomic<std::uint8_t>* runs) {
  std::vector<JoinHandle<std::uint64_t>> hs;
  auto child = [](int id, std::atomic<std::uint8_t>* r) -> Task<std::uint64_t> {
    r[id].fetch_add(1);
    co_return static_cast<std::uint64_t>(id);
  };
  // No suspension in between: everything lands in this worker's queue,
  // which overflows into the inject queue.
  for (int i = 0; i < n; ++i) hs.push_back(troupe::spawn(child(i, runs)));
  std::uint64_t sum = 0;
  for (auto& h : hs) sum += co_await h;
  co_return sum;
}

TEST(Executor, MoreSpawnsThanALocalQueueHoldsOverflowIntoTheInjectQueueAndAllRun) {
  constexpr int kN = 10 * static_cast<int>(troupe::detail::LocalQueue::kCapacity);
  for (std::size_t workers : {1u, 2u}) {
    Executor ex(workers);
    auto runs = std::make_unique<std::atomic<std::uint8_t>[]>(kN);
    EXPECT_EQ(spawn_on(ex, spawn_burst(kN, runs.get())).wait(),
              static_cast<std::uint64_t>(kN) * (kN - 1) / 2);
    int not_once = 0;
    for (int i = 0; i < kN; ++i) not_once += runs[i].load() != 1;
    EXPECT_EQ(not_once, 0) << workers << " workers";
  }
}

constexpr std::uint64_t kSwingTurns = 1000;

// Pings its partner until `stop`, or until the fail-fast deadline, which
// sets `gave_up`: a task from outside that never gets its turn then fails
// the test in seconds.
Task<void> ping_until_stopped(Notify& mine, Notify& theirs, std::atomic<bool>& stop,
                              std::atomic<std::uint64_t>& turns, std::atomic<bool>& gave_up) {
  const auto deadline = std::chrono::steady_clock::now() + kFailFast;
  while (!stop.load()) {
    if (turns.fetch_add(1) + 1 == kSwingTurns) turns.notify_all();
    if (std::chrono::steady_clock::now() > deadline) {
      gave_up.store(true);
      stop.store(true);
    }
    theirs.notify();
    co_await mine;
  }
  theirs.notify();  // the partner may be parked: let it see `stop` too
}

Task<void> stop_from_outside(std::atomic<bool>& stop, std::atomic<bool>& ran) {
  ran.store(true);
  stop.store(true);
  co_return;
}

// Two tasks that keep waking each other always have a task in the LIFO slot
// or the local queue; a task from outside must still get its turn (the
// inject queue is checked every so often) while they play.
TEST(Executor, ATaskFromOutsideRunsWhileTwoTasksPingPongOnTheOnlyWorker) {
  Executor ex(1);
  Notify a;
  Notify b;
  std::atomic<bool> stop{false};
  std::atomic<bool> gave_up{false};
  std::atomic<bool> outside_ran{false};
  std::atomic<std::uint64_t> turns{0};
  auto ha = spawn_on(ex, ping_until_stopped(a, b, stop, turns, gave_up));
  auto hb = spawn_on(ex, ping_until_stopped(b, a, stop, turns, gave_up));
  // Wait for the ping-pong to be in full swing.
  for (auto n = turns.load(); n < kSwingTurns; n = turns.load()) turns.wait(n);
  spawn_on(ex, stop_from_outside(stop, outside_ran)).wait();
  ha.wait();
  hb.wait();
  EXPECT_TRUE(outside_ran.load());
  EXPECT_FALSE(gave_up.load()) << "the task from outside did not run in " << kFailFast.count()
                               << " s of ping-pong (" << turns.load() << " turns)";
}

/// Ready once `remaining` reaches zero; every decrement comes with a wake.
class Latch {
 public:
  explicit Latch(int n) : remaining_(n) {}
  bool poll(troupe::Context& cx) noexcept {
    {
      std::lock_guard lock(mutex_);
      if (!cx.will_wake(waker_)) waker_ = cx.waker();
    }
    polls_.fetch_add(1);
    polls_.notify_all();
    return remaining_.load() == 0;
  }
  void await_resume() const noexcept {}
  /// Blocks until a task has polled the latch, then gives its waker.
  troupe::Waker wait_for_waker() const {
    polls_.wait(0);
    std::lock_guard lock(mutex_);
    return waker_;
  }
  void arrive() { remaining_.fetch_sub(1); }

 private:
  mutable std::mutex mutex_;
  troupe::Waker waker_;
  std::atomic<int> remaining_;
  std::atomic<int> polls_{0};
};

Task<int> wait_latch(Latch& l, Tracked probe) {
  co_await l;
  co_return probe.value();
}

// Several threads hold wakers of a task and hammer them while the last of
// them makes it complete: the task completes once, its frame is destroyed
// once, and the late wakes are harmless.
TEST(Executor, WakesRacingCompletionNeitherLoseTheWakeNorRunTheTaskTwice) {
  constexpr int kRounds = 300;
  constexpr int kWakers = 3;
  Executor ex(2);
  LifeCounter frames;
  for (int round = 0; round < kRounds; ++round) {
    Latch latch(kWakers);
    auto h = spawn_on(ex, wait_latch(latch, Tracked(frames, round)));
    const troupe::Waker w = latch.wait_for_waker();
    troupe::test::run_concurrently(kWakers, [&](std::size_t) {
      for (int i = 0; i < 50; ++i) w.wake();
      latch.arrive();
      for (int i = 0; i < 50; ++i) w.wake();
    });
    ASSERT_EQ(h.wait(), round);
    EXPECT_EQ(frames.live(), 0);
  }
  EXPECT_EQ(frames.created.load(), frames.destroyed.load());
}

Task<int> wait_gate(Gate& g, Tracked probe) {
  co_await g;
  co_return probe.value();
}

TEST(Executor, CancelRacingAWakeDestroysTheFrameExactlyOnce) {
  // Up to kMaxRounds; the budget ends it sooner on a loaded machine, where
  // each round's three racing threads wait for time slices.
  constexpr int kMaxRounds = 3000;
  const troupe::test::RoundBudget budget(300, std::chrono::seconds(2));
  Executor ex(2);
  LifeCounter frames;
  int completed = 0;
  int cancelled = 0;
  int rounds = 0;
  for (int round = 0; round < kMaxRounds && budget.allows(round); ++round, rounds = round) {
    Gate g;
    auto h = spawn_on(ex, wait_gate(g, Tracked(frames, round)));
    g.wait_until_parked();
    const troupe::Waker spurious = g.waker();
    troupe::test::run_concurrently(3, [&](std::size_t who) {
      if (who == 0) h.cancel();
      if (who == 1) g.set();
      if (who == 2) spurious.wake();
    });
    try {
      EXPECT_EQ(h.wait(), round);
      ++completed;
    } catch (const TaskCancelled&) {
      ++cancelled;
    }
    EXPECT_EQ(frames.live(), 0);
  }
  EXPECT_GE(rounds, 300);
  EXPECT_EQ(completed + cancelled, rounds);
  EXPECT_EQ(frames.created.load(), frames.destroyed.load());
}

// Plays `rounds` round trips and counts its own turns; counts `done` down
// at the end.
Task<void> ping_counted(Notify& mine, Notify& theirs, int rounds, int& turns, Countdown& done) {
  for (int i = 0; i < rounds; ++i) {
    theirs.notify();
    co_await mine;
    ++turns;
  }
  done.count_down();
}

Task<void> pong_counted(Notify& mine, Notify& theirs, int rounds, int& turns, Countdown& done) {
  for (int i = 0; i < rounds; ++i) {
    co_await mine;
    ++turns;
    theirs.notify();
  }
  done.count_down();
}

// Every round trip needs both wakes: a lost wake-up leaves both parked,
// which fails the test at the deadline.
TEST(Executor, PingPongOfAMillionWakesBetweenTwoTasksCompletes) {
  constexpr int kRounds = 500'000;  // two wakes per round
  auto ex = std::make_unique<Executor>(2);
  Notify a;
  Notify b;
  int ping_turns = 0;
  int pong_turns = 0;
  Countdown done(2);
  auto hb = spawn_on(*ex, pong_counted(b, a, kRounds, pong_turns, done));
  auto ha = spawn_on(*ex, ping_counted(a, b, kRounds, ping_turns, done));
  if (!done.wait_for(2 * kFailFast)) {
    // A task lost in the scheduler can be neither cancelled nor shut down:
    // the executor is left behind (leaked), so that the test ends.
    ha.detach();
    hb.detach();
    (void)ex.release();
    FAIL() << "a wake was lost: " << done.left() << " of the 2 tasks never finished";
  }
  ha.wait();
  hb.wait();
  EXPECT_EQ(ping_turns, kRounds);
  EXPECT_EQ(pong_turns, kRounds);
}

// Same, with the wakes crossing from a plain thread into the runtime and
// back. Round trips for up to a time budget (at least kMinRounds), so that
// a loaded machine, where each crossing waits for a time slice, still
// finishes in seconds; each round waits for the task's turn with a
// deadline, so a lost wake fails at once.
TEST(Executor, PingPongWithAPlainThreadLosesNoWake) {
  constexpr int kMaxRounds = 100'000;
  constexpr int kMinRounds = 1'000;
  constexpr auto kBudget = std::chrono::seconds(2);
  auto ex = std::make_unique<Executor>(2);
  Notify to_task;
  troupe::test::TimedParker parker;
  std::atomic<int> task_turns{0};
  std::atomic<int> rounds{kMaxRounds};  // lowered when the budget runs out
  auto body = [](Notify& in, troupe::Waker out, std::atomic<int>& turns,
                 std::atomic<int>& rounds) -> Task<void> {
    for (int i = 0; i < rounds.load(); ++i) {
      co_await in;
      turns.fetch_add(1);
      out.wake();
    }
  };
  auto h = spawn_on(*ex, body(to_task, parker.waker(), task_turns, rounds));
  const auto start = std::chrono::steady_clock::now();
  int extra_turns_at = -1;
  int played = 0;
  for (int i = 0; i < kMaxRounds; ++i) {
    if (i >= kMinRounds && std::chrono::steady_clock::now() - start > kBudget) {
      rounds.store(i + 1);  // the task leaves after the turn this notify gives it
      to_task.notify();
      break;
    }
    to_task.notify();
    // The parker is only woken by the task, after its turn.
    while (task_turns.load() <= i) {
      if (!parker.park_for(kFailFast)) break;
    }
    if (task_turns.load() <= i) {
      // The task is lost in the scheduler: leave the executor behind
      // (leaked), as its shutdown would wait for that task for ever.
      h.detach();
      (void)ex.release();
      FAIL() << "a wake was lost in round " << i;
    }
    if (task_turns.load() != i + 1 && extra_turns_at < 0) extra_turns_at = i;
    played = i + 1;
  }
  h.wait();
  EXPECT_EQ(extra_turns_at, -1) << "the task took a turn nobody gave it, in round "
                                << extra_turns_at;
  EXPECT_GE(played, kMinRounds);
  EXPECT_GE(task_turns.load(), played);
}

Task<void> park_forever(Forever& f, Tracked probe) {
  co_await f;
  (void)probe;
}

Task<void> park_on_gate_forever(Gate& g, Tracked probe) {
  co_await g;
  ADD_FAILURE() << "the gate is never set";
  (void)probe;
}

Task<void> yield_forever(Tracked probe, std::atomic<int>& started) {
  started.fetch_add(1);
  started.notify_all();
  for (;;) co_await WakeSelfOnce{};
  (void)probe;
}

// Shutdown has to find tasks that nothing will ever wake (parked on a gate
// or on a leaf with no waker) as well as tasks that are always runnable, and
// destroy every frame exactly once; LSan checks that nothing leaks.
TEST(Executor, ShutdownWhileBusyCancelsEveryTaskAndDestroysEachFrameOnce) {
  constexpr int kParked = 3000;
  constexpr int kSpinners = 50;
  LifeCounter frames;
  std::vector<std::unique_ptr<Gate>> gates;
  std::vector<JoinHandle<void>> handles;
  Forever forever;
  std::atomic<int> started{0};
  {
    Executor ex(2);
    for (int i = 0; i < kParked; ++i) {
      gates.push_back(std::make_unique<Gate>());
      handles.push_back(spawn_on(ex, park_on_gate_forever(*gates.back(), Tracked(frames, i))));
    }
    for (int i = 0; i < kParked; ++i) {
      spawn_on(ex, park_forever(forever, Tracked(frames, i))).detach();
    }
    for (int i = 0; i < kSpinners; ++i) {
      spawn_on(ex, yield_forever(Tracked(frames, i), started)).detach();
    }
    for (int n = started.load(); n < kSpinners; n = started.load()) started.wait(n);
    for (auto& g : gates) g->wait_until_parked();
    EXPECT_EQ(frames.live(), 2 * kParked + kSpinners);
    ex.shutdown();
    EXPECT_EQ(ex.live_tasks(), 0u);
    EXPECT_EQ(frames.live(), 0);
  }
  EXPECT_EQ(frames.created.load(), frames.destroyed.load());
  for (auto& h : handles) {
    ASSERT_TRUE(h.is_finished());
    EXPECT_THROW(h.wait(), TaskCancelled);
  }
}

TEST(Executor, ShutdownIsIdempotentAndRefusesNewTasks) {
  Executor ex(2);
  ex.shutdown();
  ex.shutdown();
  LifeCounter frames;
  std::atomic<bool> ran{false};
  auto body = [](std::atomic<bool>& r, Tracked) -> Task<int> {
    r.store(true);
    co_return 1;
  };
  auto h = spawn_on(ex, body(ran, Tracked(frames)));
  ASSERT_TRUE(h.is_finished());
  EXPECT_THROW(h.wait(), TaskCancelled);
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(frames.live(), 0);
}

Task<void> record_threads(Notify& wake, std::mutex& m, std::set<std::thread::id>& seen,
                          std::atomic<int>& arrived, std::atomic<int>& rounds_done, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    co_await wake;
    {
      std::lock_guard lock(m);
      seen.insert(std::this_thread::get_id());
    }
    // Rendezvous: both tasks of the round are running at once, so they are
    // on different workers, and the next round's assignment is up to the
    // order in which the workers park.
    arrived.fetch_add(1);
    while (arrived.load() < 2 * (r + 1)) {
    }
    rounds_done.fetch_add(1);
    rounds_done.notify_all();
  }
}

TEST(Executor, TasksWokenFromOutsideMigrateBetweenWorkers) {
  constexpr int kRounds = 200;
  Executor ex(2);
  Notify wake[2];
  std::mutex m;
  std::set<std::thread::id> seen[2];
  std::atomic<int> arrived{0};
  std::atomic<int> rounds_done{0};
  JoinHandle<void> h[2] = {
      spawn_on(ex, record_threads(wake[0], m, seen[0], arrived, rounds_done, kRounds)),
      spawn_on(ex, record_threads(wake[1], m, seen[1], arrived, rounds_done, kRounds))};
  for (int r = 0; r < kRounds; ++r) {
    // Alternate which one is woken first, so a bias in which worker takes
    // the first wake cannot pin a task to one worker.
    wake[r % 2].notify();
    wake[1 - r % 2].notify();
    for (int n = rounds_done.load(); n < 2 * (r + 1); n = rounds_done.load()) {
      rounds_done.wait(n);
    }
  }
  h[0].wait();
  h[1].wait();
  std::lock_guard lock(m);
  std::set<std::thread::id> all = seen[0];
  all.insert(seen[1].begin(), seen[1].end());
  EXPECT_EQ(all.size(), 2u) << "both workers ran the tasks";
  EXPECT_EQ(seen[0].size(), 2u) << "task 0 never moved";
  EXPECT_EQ(seen[1].size(), 2u) << "task 1 never moved";
  EXPECT_EQ(all.count(std::this_thread::get_id()), 0u);
}

Task<int> small_child(Tracked probe) {
  co_await WakeSelfOnce{};
  co_return probe.value();
}

Task<int> chaos_task(int id, int rounds, Notify& notify, LifeCounter& frames) {
  Tracked probe(frames, id);
  for (int r = 0; r < rounds; ++r) {
    switch ((id + r) % 3) {
      case 0:
        co_await WakeSelfOnce{};
        break;
      case 1:
        co_await notify;
        break;
      default: {
        auto child = troupe::spawn(small_child(Tracked(frames, r)));
        if (id % 2 == 0) {
          if (co_await child != r) throw std::logic_error("wrong child result");
        } else {
          child.detach();
        }
      }
    }
  }
  co_return probe.value();
}

// Everything at once: tasks that yield, park, spawn, join and detach
// children, woken at random from plain threads while some of them are
// cancelled at random moments. Each task reports exactly one outcome, only
// cancelled ones report TaskCancelled, and every frame is destroyed once.
TEST(Executor, AChaosOfSpawnsWakesCancelsAndJoinsEndsWithEveryFrameDestroyedOnce) {
  // Debug builds run half as many: a loaded machine still ends it in seconds.
  const int kTasks = troupe::test::kOptimized ? 2000 : 1000;
  constexpr int kRounds = 12;
  constexpr int kCancelEvery = 7;
  LifeCounter frames;
  std::vector<std::unique_ptr<Notify>> notifies;
  for (int i = 0; i < kTasks; ++i) notifies.push_back(std::make_unique<Notify>());
  std::atomic<bool> all_joined{false};
  {
    Executor ex(2);
    std::vector<JoinHandle<int>> handles;
    for (int i = 0; i < kTasks; ++i) {
      handles.push_back(spawn_on(ex, chaos_task(i, kRounds, *notifies[i], frames)));
    }
    auto notifier = [&](std::uint64_t seed) {
      while (!all_joined.load()) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        notifies[(seed >> 33) % kTasks]->notify();
        std::this_thread::yield();  // let the workers have the cores; not a wait
      }
    };
    std::thread n1(notifier, 1);
    std::thread n2(notifier, 2);
    std::thread canceller([&] {
      for (int i = kTasks - 1; i >= 0; --i) {
        if (i % kCancelEvery == 0) handles[static_cast<std::size_t>(i)].cancel();
      }
    });
    int values = 0;
    int cancelled = 0;
    for (int i = 0; i < kTasks; ++i) {
      try {
        EXPECT_EQ(handles[static_cast<std::size_t>(i)].wait(), i);
        ++values;
      } catch (const TaskCancelled&) {
        EXPECT_EQ(i % kCancelEvery, 0) << "task " << i << " was never cancelled";
        ++cancelled;
      }
    }
    // cancel() only reads the handle, so racing the waits above is fine.
    canceller.join();
    all_joined.store(true);
    n1.join();
    n2.join();
    EXPECT_EQ(values + cancelled, kTasks);
    ex.shutdown();
    EXPECT_EQ(ex.live_tasks(), 0u);
  }
  EXPECT_EQ(frames.live(), 0);
  EXPECT_EQ(frames.created.load(), frames.destroyed.load());
}

TEST(Executor, OnWorkerThreadIsTrueOnlyInsideItsTasks) {
  Executor ex(2);
  EXPECT_FALSE(ex.on_worker_thread());
  auto body = [](Executor& e) -> Task<bool> { co_return e.on_worker_thread(); };
  EXPECT_TRUE(spawn_on(ex, body(ex)).wait());
  Executor other(1);
  EXPECT_FALSE(spawn_on(other, body(ex)).wait());
}

TEST(Executor, ShutdownFromOneOfItsOwnTasksThrowsLogicError) {
  Executor ex(2);
  auto body = [](Executor& e) -> Task<bool> {
    try {
      e.shutdown();
    } catch (const std::logic_error&) {
      co_return true;
    }
    co_return false;
  };
  EXPECT_TRUE(spawn_on(ex, body(ex)).wait());
}

TEST(Executor, LiveTasksCountsSpawnedTasksUntilTheyFinish) {
  Executor ex(2);
  Gate g;
  LifeCounter frames;
  auto h = spawn_on(ex, wait_gate(g, Tracked(frames, 2)));
  EXPECT_EQ(ex.live_tasks(), 1u);
  g.set();
  EXPECT_EQ(h.wait(), 2);
  // The owner list drops the task right after the result is published.
  ex.shutdown();
  EXPECT_EQ(ex.live_tasks(), 0u);
}

TEST(Executor, ZeroWorkersMeansOne) {
  Executor ex(0);
  EXPECT_EQ(ex.worker_count(), 1u);
  auto body = []() -> Task<int> { co_return 3; };
  EXPECT_EQ(spawn_on(ex, body()).wait(), 3);
}

}  // namespace
