// Mailboxes: bounded policies, backpressure, per-sender order under load,
// dead letters, graceful and immediate stops, shutdown with full mailboxes.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/mailbox.hpp>
#include <troupe/channels/channel.hpp>
#include <troupe/runtime/detail/budget.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>
#include <troupe/runtime/yield.hpp>

#include "../runtime/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::AskError;
using troupe::DeadLetter;
using troupe::DeadLetterReason;
using troupe::Mailbox;
using troupe::MailboxOptions;
using troupe::Overflow;
using troupe::SpawnOptions;
using troupe::Task;
using troupe::TellStatus;
using troupe::TestExecutor;
using troupe::test::kOptimized;

struct Item {
  int value;
};
struct Total {};

struct Sink : troupe::Actor<Sink> {
  std::vector<int> seen;
  void handle(const Item& m) { seen.push_back(m.value); }
  std::vector<int> handle(Total) { return seen; }
};

template <class A>
ActorRef<A> spawn_bounded(ActorSystem& system, std::size_t capacity, Overflow overflow) {
  return system.spawn_with<A>(SpawnOptions{MailboxOptions::bounded(capacity, overflow)});
}

std::vector<int> seen_by(TestExecutor& ex, const ActorRef<Sink>& s) {
  return ex.block_on([](ActorRef<Sink> s) -> Task<std::vector<int>> {
    co_return (co_await s.ask(Total{})).value();
  }(s));
}

// A spawned actor has not run yet on the TestExecutor: its mailbox fills.
TEST(Mailbox, FailPolicyRefusesAtCapacityAndCountsADeadLetter) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<DeadLetterReason> reasons;
  system.on_dead_letter([&](const DeadLetter& d) { reasons.push_back(d.reason); });
  auto sink = spawn_bounded<Sink>(system, 2, Overflow::kFail);
  EXPECT_EQ(sink.tell(Item{1}), TellStatus::kQueued);
  EXPECT_EQ(sink.tell(Item{2}), TellStatus::kQueued);
  EXPECT_EQ(sink.tell(Item{3}), TellStatus::kFull);
  EXPECT_EQ(system.dead_letters(), 1u);
  EXPECT_EQ(reasons, std::vector<DeadLetterReason>{DeadLetterReason::kMailboxFull});
  ex.run_until_idle();
  EXPECT_EQ(seen_by(ex, sink), (std::vector<int>{1, 2}));
}

TEST(Mailbox, DropPolicyDropsAndCountsIt) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<DeadLetterReason> reasons;
  system.on_dead_letter([&](const DeadLetter& d) { reasons.push_back(d.reason); });
  auto sink = spawn_bounded<Sink>(system, 1, Overflow::kDrop);
  EXPECT_EQ(sink.tell(Item{1}), TellStatus::kQueued);
  EXPECT_EQ(sink.tell(Item{2}), TellStatus::kDropped);
  EXPECT_EQ(sink.tell(Item{3}), TellStatus::kDropped);
  EXPECT_EQ(system.dead_letters(), 2u);
  EXPECT_EQ(reasons, (std::vector<DeadLetterReason>{DeadLetterReason::kDropped,
                                                    DeadLetterReason::kDropped}));
  ex.run_until_idle();
  // What the actor got: the queued one, never a dropped one.
  EXPECT_EQ(seen_by(ex, sink), std::vector<int>{1});
  // Room again once it has been handled: the next one is queued and handled.
  EXPECT_EQ(sink.tell(Item{4}), TellStatus::kQueued);
  ex.run_until_idle();
  EXPECT_EQ(seen_by(ex, sink), (std::vector<int>{1, 4}));
}

TEST(Mailbox, AnAskToAFullFailMailboxFailsAtOnce) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto sink = spawn_bounded<Sink>(system, 1, Overflow::kFail);
  ASSERT_EQ(sink.tell(Item{1}), TellStatus::kQueued);
  auto f = sink.ask(Total{});  // refused now: nothing to run for it
  EXPECT_EQ(system.dead_letters(), 1u);
  auto r = ex.block_on([](decltype(f) f) -> Task<troupe::AskResult<std::vector<int>>> {
    co_return co_await f;
  }(std::move(f)));
  EXPECT_EQ(r.error(), AskError::kMailboxFull);
}

// With backpressure an ask waits for room, as send() does, and keeps its
// place after what was queued before it.
TEST(Mailbox, AnAskToAFullBackpressureMailboxWaitsForRoom) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto sink = spawn_bounded<Sink>(system, 1, Overflow::kBackpressure);
  ASSERT_EQ(sink.tell(Item{1}), TellStatus::kQueued);
  auto f = sink.ask(Total{});
  EXPECT_EQ(system.dead_letters(), 0u);
  auto r = ex.block_on([](decltype(f) f) -> Task<troupe::AskResult<std::vector<int>>> {
    co_return co_await f;
  }(std::move(f)));
  ASSERT_TRUE(r.has_value()) << troupe::to_string(r.error());
  EXPECT_EQ(r.value(), std::vector<int>{1});
}

TEST(Mailbox, AnAskWaitingForRoomFailsWhenTheActorStops) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto sink = spawn_bounded<Sink>(system, 1, Overflow::kBackpressure);
  ASSERT_EQ(sink.tell(Item{1}), TellStatus::kQueued);
  auto asker = ex.spawn([](ActorRef<Sink> s) -> Task<troupe::AskResult<std::vector<int>>> {
    co_return co_await s.ask(Total{});
  }(sink));
  ASSERT_TRUE(ex.step());  // the asker parks on the full mailbox
  EXPECT_FALSE(asker.is_finished());
  sink.stop();  // Item{1} becomes a dead letter; the mailbox closes
  ex.run_until_idle();
  ASSERT_TRUE(asker.is_finished());
  EXPECT_EQ(asker.wait().error(), AskError::kDeadActor);
}

// An actor busy in a coroutine handler, its mailbox full: the ask's timeout
// passes before there is room, so the ask is never sent.
struct Gated : troupe::Actor<Gated> {
  explicit Gated(troupe::Receiver<int> gate) : gate(std::move(gate)) {}
  troupe::Receiver<int> gate;
  std::vector<int> seen;
  Task<void> handle(Item m) {
    seen.push_back(m.value);
    (void)co_await gate.recv();
  }
  std::vector<int> handle(Total) { return seen; }
};

TEST(Mailbox, AnAskWhoseTimeoutPassesBeforeThereIsRoomIsNeverSent) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto [open, gate] = troupe::channel::unbounded<int>();
  auto gated = system.spawn_with<Gated>(
      SpawnOptions{MailboxOptions::bounded(1, Overflow::kBackpressure)}, std::move(gate));
  ASSERT_EQ(gated.tell(Item{1}), TellStatus::kQueued);
  ex.run_until_idle();  // Item{1} is in its handler, waiting at the gate
  ASSERT_EQ(gated.tell(Item{2}), TellStatus::kQueued);  // the mailbox is full again
  auto asker = ex.spawn([](ActorRef<Gated> g) -> Task<troupe::AskResult<std::vector<int>>> {
    co_return co_await g.ask(Total{}, 10ms);
  }(gated));
  ex.advance_and_run(20ms);
  ASSERT_TRUE(asker.is_finished());
  EXPECT_EQ(asker.wait().error(), AskError::kTimeout);
  ASSERT_TRUE(open.try_send(0));
  ASSERT_TRUE(open.try_send(0));
  ex.run_until_idle();
  // Both items were handled; the ask's Total never reached it.
  auto r = ex.block_on([](ActorRef<Gated> g) -> Task<troupe::AskResult<std::vector<int>>> {
    co_return co_await g.ask(Total{});
  }(gated));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r.value(), (std::vector<int>{1, 2}));
  EXPECT_EQ(system.dead_letters(), 0u);
}

TEST(Mailbox, BackpressureSendWaitsForRoomAndKeepsTheOrder) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto sink = spawn_bounded<Sink>(system, 2, Overflow::kBackpressure);
  EXPECT_EQ(sink.tell(Item{0}), TellStatus::kQueued);
  EXPECT_EQ(sink.tell(Item{1}), TellStatus::kQueued);
  EXPECT_EQ(sink.tell(Item{99}), TellStatus::kFull) << "tell never waits, nor bypasses the bound";
  auto sender = ex.spawn([](ActorRef<Sink> s) -> Task<int> {
    int sent = 0;
    for (int i = 2; i < 10; ++i) sent += (co_await s.send(Item{i})) == TellStatus::kQueued;
    co_return sent;
  }(sink));
  ex.run_until_idle();
  ASSERT_TRUE(sender.is_finished());
  EXPECT_EQ(sender.wait(), 8);
  std::vector<int> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(i);
  EXPECT_EQ(seen_by(ex, sink), expected);
}

TEST(Mailbox, ACancelledBackpressureSendDeliversNothing) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto sink = spawn_bounded<Sink>(system, 1, Overflow::kBackpressure);
  ASSERT_EQ(sink.tell(Item{1}), TellStatus::kQueued);
  auto sender =
      ex.spawn([](ActorRef<Sink> s) -> Task<void> { (void)co_await s.send(Item{2}); }(sink));
  // The sender parks on the full mailbox before the actor ever runs.
  ASSERT_TRUE(ex.step());
  EXPECT_FALSE(sender.is_finished());
  sender.cancel();
  ex.run_until_idle();
  EXPECT_EQ(seen_by(ex, sink), (std::vector<int>{1}));
}

// --- Stops and dead letters ----------------------------------------------------

struct Stopper : troupe::Actor<Stopper> {
  std::vector<int>* seen;
  explicit Stopper(std::vector<int>* s) : seen(s) {}
  void handle(const Item& m) {
    seen->push_back(m.value);
    if (m.value < 0) stop();
  }
};

TEST(Stop, StopFromAHandlerTakesEffectAfterItAndTheRestAreDeadLetters) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<int> seen;
  auto s = system.spawn<Stopper>(&seen);
  s.tell(Item{1});
  s.tell(Item{-1});
  s.tell(Item{2});
  s.tell(Item{3});
  ex.run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{1, -1}));
  EXPECT_EQ(system.dead_letters(), 2u);
  EXPECT_EQ(system.live_actors(), 0u);
}

TEST(Stop, AGracefulStopHandlesWhatIsQueuedAndRefusesWhatComesLater) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<int> seen;
  auto s = system.spawn<Stopper>(&seen);
  s.tell(Item{1});
  s.tell(Item{2});
  s.stop_gracefully();
  EXPECT_EQ(s.tell(Item{3}), TellStatus::kDeadActor);
  ex.run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_EQ(system.live_actors(), 0u);
}

TEST(Stop, AnImmediateStopOvertakesQueuedMessages) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<int> seen;
  auto s = system.spawn<Stopper>(&seen);
  s.tell(Item{1});
  s.stop();
  ex.run_until_idle();
  EXPECT_TRUE(seen.empty()) << "the stop is a system message: it goes first";
  EXPECT_EQ(system.dead_letters(), 1u);
}

struct Hooks : troupe::Actor<Hooks> {
  std::vector<std::string>* log;
  explicit Hooks(std::vector<std::string>* l) : log(l) {}
  Task<void> on_start() {
    co_await troupe::yield_now();
    log->push_back("started");
  }
  void on_stop(const troupe::ExitReason& r) { log->push_back("stop " + r.describe()); }
  void handle(const Item&) { log->push_back("item"); }
};

TEST(Lifecycle, ACoroutineOnStartFinishesBeforeTheFirstMessage) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<std::string> log;
  auto h = system.spawn<Hooks>(&log);
  h.tell(Item{1});
  ex.run_until_idle();
  h.stop();
  ex.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"started", "item", "stop stopped"}));
}

TEST(Registry, NamesFindTheActorOfTheRightClassAndAreFreedWhenItStops) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto sink = system.spawn<Sink>();
  EXPECT_TRUE(system.register_name("sink", sink));
  EXPECT_FALSE(system.register_name("sink", system.spawn<Sink>())) << "taken";
  EXPECT_FALSE(system.register_name("other", sink)) << "one name per actor";
  EXPECT_EQ(system.lookup<Sink>("sink"), sink);
  EXPECT_FALSE(system.lookup<Stopper>("sink")) << "another class";
  EXPECT_FALSE(system.lookup<Sink>("nobody"));
  sink.stop();
  ex.run_until_idle();
  EXPECT_FALSE(system.lookup<Sink>("sink"));
  EXPECT_TRUE(system.register_name("sink", system.spawn<Sink>()));
}

TEST(Registry, LoopActorsAreNamedAndFoundByTheirMessageType) {
  TestExecutor ex;
  ActorSystem system(ex);
  int total = 0;
  auto adder = system.spawn_loop<int>([&total](Mailbox<int>& mailbox) -> Task<void> {
    while (auto m = co_await mailbox.next()) total += *m;
  });
  EXPECT_TRUE(system.register_name("adder", adder));
  EXPECT_FALSE(system.register_name("adder", system.spawn<Sink>())) << "taken";
  auto found = system.lookup_address<int>("adder");
  EXPECT_EQ(found, adder);
  EXPECT_FALSE(system.lookup_address<long>("adder")) << "another message type";
  EXPECT_FALSE(system.lookup<Sink>("adder")) << "not an actor class";
  found.tell(40);
  found.tell(2);
  ex.run_until_idle();
  EXPECT_EQ(total, 42);
  adder.stop();
  ex.run_until_idle();
  EXPECT_FALSE(system.lookup_address<int>("adder"));
}

// --- Under load on a real runtime --------------------------------------------------

struct Ordered {
  std::uint32_t producer;
  std::uint64_t seq;
};
struct Report {};
struct OrderCheck : troupe::Actor<OrderCheck> {
  explicit OrderCheck(int producers) : next(producers, 0) {}
  void handle(const Ordered& m) {
    reorders += m.seq != next[m.producer];
    next[m.producer] = m.seq + 1;
    ++count;
  }
  std::pair<std::uint64_t, std::uint64_t> handle(Report) { return {count, reorders}; }
  std::vector<std::uint64_t> next;
  std::uint64_t count = 0;
  std::uint64_t reorders = 0;
};

// The id of the calling thread, opaque to the optimizer (as in
// mpsc_test.cpp: clang keeps a coroutine's first pthread_self() across
// suspensions), so that a task that moved between threads is seen to.
[[gnu::noinline]] std::thread::id mailbox_test_thread_id() {
  asm volatile("" ::: "memory");
  return std::this_thread::get_id();
}

// 64 producer tasks tell one actor; each yields every few sends and
// sleeps now and then, so the runtime moves it between its two workers;
// order per sender must hold.
// The run repeats (a few times at most) until some producer did change
// threads: order under migration is what is tested.
TEST(Mailbox, SixtyFourProducersIntoOneActorKeepPerSenderOrderUnderMigration) {
  constexpr int kProducers = 64;
  const std::uint64_t per_producer = kOptimized ? 100'000 : 5'000;
  std::atomic<std::uint64_t> migrations{0};
  for (int attempt = 0; attempt < 5 && (attempt == 0 || migrations.load() == 0); ++attempt) {
    ActorSystem system({.workers = 2});
    auto checker = system.spawn<OrderCheck>(kProducers);
    std::vector<troupe::JoinHandle<void>> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.push_back(
          system.runtime().spawn([](ActorRef<OrderCheck> c, std::uint32_t id, std::uint64_t n,
                                    std::atomic<std::uint64_t>& migrations) -> Task<void> {
            auto last = mailbox_test_thread_id();
            for (std::uint64_t i = 0; i < n; ++i) {
              EXPECT_EQ(c.tell(Ordered{id, i}), TellStatus::kQueued);
              if (i % 16 == 15) co_await troupe::yield_now();
              // A timer's wake comes from whichever worker drives the
              // timers, so the task may resume on the other one: without
              // this, two busy workers rarely steal from each other.
              if (i % 512 == 511) co_await troupe::sleep_for(std::chrono::microseconds(50));
              if (mailbox_test_thread_id() != last) {
                last = mailbox_test_thread_id();
                migrations.fetch_add(1, std::memory_order_relaxed);
              }
            }
          }(checker, static_cast<std::uint32_t>(p), per_producer, migrations)));
    }
    for (auto& h : producers) h.wait();
    const auto [count, reorders] = system.block_on(
        [](ActorRef<OrderCheck> c) -> Task<std::pair<std::uint64_t, std::uint64_t>> {
          co_return (co_await c.ask(Report{})).value();
        }(checker));
    EXPECT_EQ(count, per_producer * kProducers);
    EXPECT_EQ(reorders, 0u);
  }
  EXPECT_GT(migrations.load(), 0u) << "no producer ever changed threads in 5 runs";
}

// Counts each value it is told, by value: duplicates and losses show.
struct Tally : troupe::Actor<Tally> {
  explicit Tally(std::size_t values) : times(values, 0) {}
  void handle(const Item& m) { ++times[static_cast<std::size_t>(m.value)]; }
  std::vector<int> handle(Total) { return times; }
  std::vector<int> times;
};

// Concurrent senders (four plain threads) into a small Fail or Drop
// mailbox: every tell the mailbox accepted (kQueued) is handled exactly
// once, every refused one (kFull or kDropped) never, and each refused one is
// a dead letter. Refusals must happen, or the race was not tested.
void accepted_are_delivered_once(Overflow overflow) {
  constexpr int kThreads = 4;
  const int per_thread = kOptimized ? 50'000 : 10'000;
  const TellStatus refused = overflow == Overflow::kDrop ? TellStatus::kDropped : TellStatus::kFull;
  const auto values = static_cast<std::size_t>(kThreads * per_thread);
  ActorSystem system({.workers = 2});
  auto tally = system.spawn_with<Tally>(SpawnOptions{MailboxOptions::bounded(8, overflow)}, values);
  std::vector<char> accepted(values, 0);  // each slot written by one thread only
  std::atomic<int> other_status{0};
  troupe::test::run_concurrently(kThreads, [&](std::size_t t) {
    for (int i = 0; i < per_thread; ++i) {
      const int v = static_cast<int>(t) * per_thread + i;
      const TellStatus s = tally.tell(Item{v});
      if (s == TellStatus::kQueued) {
        accepted[static_cast<std::size_t>(v)] = 1;
      } else if (s != refused) {
        other_status.fetch_add(1);
      }
    }
  });
  const auto times = system.block_on([](ActorRef<Tally> t) -> Task<std::vector<int>> {
    // A full mailbox refuses the ask too (kFail): retry until it is let in.
    for (;;) {
      auto r = co_await t.ask(Total{});
      if (r) co_return r.value();
      co_await troupe::yield_now();
    }
  }(tally));
  ASSERT_EQ(times.size(), values);
  std::size_t n_accepted = 0;
  int wrong = 0;
  int first_wrong = -1;
  for (std::size_t v = 0; v < values; ++v) {
    n_accepted += accepted[v];
    if (times[v] != accepted[v]) {
      ++wrong;
      if (first_wrong < 0) first_wrong = static_cast<int>(v);
    }
  }
  EXPECT_EQ(other_status.load(), 0);
  EXPECT_EQ(wrong, 0) << "value " << first_wrong << " was handled "
                      << (first_wrong >= 0 ? times[static_cast<std::size_t>(first_wrong)] : 0)
                      << " times, accepted: "
                      << (first_wrong >= 0 ? int{accepted[static_cast<std::size_t>(first_wrong)]}
                                           : 0);
  EXPECT_GT(n_accepted, 0u);
  EXPECT_LT(n_accepted, values) << "the mailbox never refused: nothing raced";
  // Refused tells are dead letters; refused asks above may add some.
  EXPECT_GE(system.dead_letters(), values - n_accepted);
}

TEST(Mailbox, ConcurrentSendersIntoAFailMailboxHaveEveryAcceptedTellHandledOnce) {
  accepted_are_delivered_once(Overflow::kFail);
}

TEST(Mailbox, ConcurrentSendersIntoADropMailboxHaveEveryAcceptedTellHandledOnce) {
  accepted_are_delivered_once(Overflow::kDrop);
}

struct Echo {
  std::uint64_t value;
};
struct Echoer : troupe::Actor<Echoer> {
  std::uint64_t handle(const Echo& m) { return m.value; }
};

// 16 asker tasks on two workers, one bounded mailbox of 2: nearly every ask
// finds it full and waits for room; each gets its own reply, none fails.
// Records how many sends the driver had finished when it got its first
// message: with one worker it runs only when the driver yields (or waits).
struct FirstSeen : troupe::Actor<FirstSeen> {
  explicit FirstSeen(const std::atomic<std::int64_t>* s) : sent(s) {}
  void handle(const Item&) {
    if (first < 0) first = sent->load();
    ++count;
  }
  std::pair<std::int64_t, std::int64_t> handle(Total) { return {first, count}; }
  const std::atomic<std::int64_t>* sent;
  std::int64_t first = -1;
  std::int64_t count = 0;
};

TEST(Mailbox, ADriverWhoseSendsNeverWaitYieldsAfterItsBudget) {
  // The cooperative budget (runtime/detail/budget.hpp): the actor woken by
  // the first send runs when the driver yields, not after its last send.
  constexpr std::int64_t kSends = 2 * troupe::detail::kTaskBudget + 100;
  ActorSystem system({.workers = 1});
  std::atomic<std::int64_t> sent{0};
  auto a = system.spawn_with<FirstSeen>(
      SpawnOptions{MailboxOptions::bounded(kSends, Overflow::kBackpressure)}, &sent);
  const auto [first, count] =
      system.block_on([](ActorRef<FirstSeen> a, std::atomic<std::int64_t>& sent,
                         std::int64_t n) -> Task<std::pair<std::int64_t, std::int64_t>> {
        for (std::int64_t i = 0; i < n; ++i) {
          if (co_await a.send(Item{static_cast<int>(i)}) != TellStatus::kQueued) co_return {-1, -1};
          sent.store(i + 1);
        }
        co_return (co_await a.ask(Total{})).value();
      }(a, sent, kSends));
  EXPECT_EQ(first, troupe::detail::kTaskBudget);
  EXPECT_EQ(count, kSends);
}

TEST(Mailbox, ManyAskersWaitingForRoomEachGetTheirOwnReply) {
  constexpr int kAskers = 16;
  const std::uint64_t per_asker = kOptimized ? 20'000 : 1'000;
  ActorSystem system({.workers = 2});
  auto echo =
      system.spawn_with<Echoer>(SpawnOptions{MailboxOptions::bounded(2, Overflow::kBackpressure)});
  std::vector<troupe::JoinHandle<std::uint64_t>> askers;
  for (int a = 0; a < kAskers; ++a) {
    askers.push_back(system.runtime().spawn(
        [](ActorRef<Echoer> e, std::uint64_t base, std::uint64_t n) -> Task<std::uint64_t> {
          std::uint64_t right = 0;
          for (std::uint64_t i = 0; i < n; ++i) {
            auto r = co_await e.ask(Echo{base + i});
            right += r.has_value() && r.value() == base + i;
          }
          co_return right;
        }(echo, static_cast<std::uint64_t>(a) << 32, per_asker)));
  }
  for (auto& h : askers) EXPECT_EQ(h.wait(), per_asker);
  EXPECT_EQ(system.dead_letters(), 0u);
}

struct Blocked {
  troupe::test::Forever* forever;
  std::atomic<int>* blocked;
};
struct Parked : troupe::Actor<Parked> {
  explicit Parked(std::atomic<int>* stops) : stops(stops) {}
  void on_stop(const troupe::ExitReason&) { stops->fetch_add(1); }
  Task<void> handle(Blocked b) {  // holds the mailbox forever
    b.blocked->fetch_add(1);
    b.blocked->notify_all();
    co_await *b.forever;
  }
  int handle(const Item& m) { return m.value; }
  std::atomic<int>* stops;
};

// Every actor is stuck in a coroutine handler with a full mailbox (one ask
// among the queued messages): shutdown still stops them all, runs every
// on_stop, fails the asks and counts the queued messages as dead letters.
TEST(Shutdown, StopsEveryActorEvenWithFullMailboxesAndStuckHandlers) {
  const int actors = kOptimized ? 100'000 : 20'000;
  constexpr std::size_t kCapacity = 4;
  std::atomic<int> stops{0};
  std::atomic<int> blocked{0};
  troupe::test::Forever forever;
  std::vector<troupe::AskFuture<int>> asks;
  std::uint64_t dead = 0;
  {
    ActorSystem system({.workers = 2});
    std::vector<ActorRef<Parked>> refs;
    for (int i = 0; i < actors; ++i) {
      refs.push_back(system.spawn_with<Parked>(
          SpawnOptions{MailboxOptions::bounded(kCapacity, Overflow::kFail)}, &stops));
      ASSERT_EQ(refs.back().tell(Blocked{&forever, &blocked}), TellStatus::kQueued);
    }
    for (int n = blocked.load(); n < actors; n = blocked.load()) blocked.wait(n);
    for (auto& a : refs) {  // every handler is stuck: these stay queued
      for (std::size_t k = 1; k < kCapacity; ++k) ASSERT_EQ(a.tell(Item{1}), TellStatus::kQueued);
      asks.push_back(a.ask(Item{2}));
      ASSERT_EQ(a.tell(Item{3}), TellStatus::kFull);
    }
    system.shutdown();
    EXPECT_EQ(system.live_actors(), 0u);
    dead = system.dead_letters();
  }
  EXPECT_EQ(stops.load(), actors);
  EXPECT_EQ(dead, static_cast<std::uint64_t>(actors) * (kCapacity + 1));
  troupe::Runtime rt({.workers = 1});
  const int failed = rt.block_on([](std::vector<troupe::AskFuture<int>> asks) -> Task<int> {
    int failed = 0;
    for (auto& f : asks) failed += (co_await f).error() == AskError::kDeadActor;
    co_return failed;
  }(std::move(asks)));
  EXPECT_EQ(failed, actors);
}

}  // namespace
