// Actors written as plain loops over a Mailbox stream.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/address.hpp>
#include <troupe/actor/mailbox.hpp>
#include <troupe/channels/channel.hpp>
#include <troupe/channels/stream/by_ref.hpp>
#include <troupe/channels/stream/ready_chunks.hpp>
#include <troupe/runtime/detail/budget.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/test_executor.hpp>

namespace {

using troupe::ActorSystem;
using troupe::Mailbox;
using troupe::Task;
using troupe::TellStatus;
using troupe::TestExecutor;

TEST(LoopActor, ReadsItsMessagesInOrderAndStopsWhenTheLoopReturns) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<int> seen;
  auto a = system.spawn_loop<int>([&seen](Mailbox<int>& mailbox) -> Task<void> {
    while (auto m = co_await mailbox.next()) {
      if (*m < 0) co_return;
      seen.push_back(*m);
    }
  });
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.tell(i), TellStatus::kQueued);
  a.tell(-1);
  a.tell(7);
  ex.run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(system.live_actors(), 0u);
  EXPECT_EQ(system.dead_letters(), 1u);  // the 7, behind the end of the loop
  EXPECT_EQ(a.tell(8), TellStatus::kDeadActor);
}

TEST(LoopActor, AGracefulStopEndsTheStreamAfterWhatIsQueued) {
  TestExecutor ex;
  ActorSystem system(ex);
  int total = 0;
  bool ended = false;
  auto a = system.spawn_loop<int>([&](Mailbox<int>& mailbox) -> Task<void> {
    while (auto m = co_await mailbox.next()) total += *m;
    ended = true;
  });
  a.tell(1);
  a.tell(2);
  ex.run_until_idle();
  a.tell(3);
  a.stop_gracefully();
  ex.run_until_idle();
  EXPECT_EQ(total, 6);
  EXPECT_TRUE(ended);
  EXPECT_EQ(system.live_actors(), 0u);
}

TEST(LoopActor, TheMailboxWorksWithStreamCombinators) {
  TestExecutor ex;
  ActorSystem system(ex);
  std::vector<std::size_t> batches;
  auto a = system.spawn_loop<int>([&](Mailbox<int>& mailbox) -> Task<void> {
    auto chunks = troupe::stream::ready_chunks(troupe::stream::by_ref(mailbox), 4);
    while (auto batch = co_await chunks.next()) batches.push_back(batch->size());
  });
  for (int i = 0; i < 10; ++i) a.tell(i);
  ex.run_until_idle();
  EXPECT_EQ(batches, (std::vector<std::size_t>{4, 4, 2}));
  a.stop();
  ex.run_until_idle();
  EXPECT_EQ(system.live_actors(), 0u);
}

// Watches whatever it is told to, and keeps the Downs it gets.
struct LoopWatcher : troupe::Actor<LoopWatcher> {
  explicit LoopWatcher(std::vector<troupe::Down>* downs) : downs(downs) {}
  void handle(const troupe::Address<int>& target) { monitor(target); }
  void handle(const troupe::Down& d) { downs->push_back(d); }
  std::vector<troupe::Down>* downs;
};

TEST(LoopActor, IsNamedFoundAndMonitoredLikeAnyActor) {
  TestExecutor ex;
  ActorSystem system(ex);
  auto a = system.spawn_loop<int>([](Mailbox<int>& mailbox) -> Task<void> {
    for (;;) {
      auto m = co_await mailbox.next();
      if (!m || *m < 0) co_return;
    }
  });
  ASSERT_TRUE(system.register_name("loop", a));
  EXPECT_EQ(system.lookup_address<int>("loop"), a);
  EXPECT_FALSE(system.lookup_address<long>("loop")) << "another message type is another actor";
  EXPECT_FALSE(system.lookup<LoopWatcher>("loop"));
  EXPECT_FALSE(a.is_remote());

  std::vector<troupe::Down> downs;
  auto watcher = system.spawn<LoopWatcher>(&downs);
  watcher.tell(a);
  ex.run_until_idle();
  EXPECT_TRUE(downs.empty());
  a.tell(-1);  // the loop returns: the actor stops normally
  ex.run_until_idle();
  ASSERT_EQ(downs.size(), 1u);
  EXPECT_EQ(downs[0].actor, a.id());
  EXPECT_EQ(downs[0].reason.kind(), troupe::ExitReason::Kind::kNormal);
  EXPECT_FALSE(system.lookup_address<int>("loop")) << "its name went with it";
  EXPECT_EQ(a.tell(1), TellStatus::kDeadActor);
}

TEST(LoopActor, ALoopThatAlwaysFindsAMessageYieldsAfterItsBudget) {
  // The cooperative budget (runtime/detail/budget.hpp): a task queued on
  // the loop's only worker runs after kTaskBudget messages, not after all.
  constexpr std::int64_t kMessages = 2 * troupe::detail::kTaskBudget + 100;
  ActorSystem system({.workers = 1});
  std::atomic<std::int64_t> taken{0};
  std::promise<void> all_taken;
  auto a = system.spawn_loop<std::int64_t>(
      [&taken, &all_taken](Mailbox<std::int64_t>& mailbox) -> Task<void> {
        while (auto m = co_await mailbox.next()) {
          taken.store(taken.load() + 1);
          if (taken.load() == kMessages) all_taken.set_value();
        }
      });
  const std::int64_t seen =
      system.block_on([](troupe::Address<std::int64_t> a, std::atomic<std::int64_t>& taken,
                         std::int64_t n) -> Task<std::int64_t> {
        // Queued behind the loop: it runs when the loop yields.
        auto observer = troupe::spawn(
            [](std::atomic<std::int64_t>& t) -> Task<std::int64_t> { co_return t.load(); }(taken));
        for (std::int64_t i = 0; i < n; ++i) {
          if (a.tell(i) != TellStatus::kQueued) co_return -1;
        }
        co_return co_await observer;
      }(a, taken, kMessages));
  EXPECT_EQ(seen, troupe::detail::kTaskBudget);
  all_taken.get_future().wait();  // the yield delays the rest, it loses none
  EXPECT_EQ(taken.load(), kMessages);
}

}  // namespace
