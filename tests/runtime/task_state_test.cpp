#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/detail/task_state.hpp>

namespace {

using troupe::detail::TaskState;
using Word = TaskState::Word;

constexpr Word kFlags = TaskState::kFlagMask;

Word flags(const TaskState& s) { return s.load() & kFlags; }
Word refs(const TaskState& s) { return TaskState::refs(s.load()); }

// A freshly spawned task is SCHEDULED; run it once to reach the idle state
// (no RUNNING, no SCHEDULED) the way a worker would.
void make_idle(TaskState& s) {
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  ASSERT_EQ(s.end_run(), TaskState::EndAction::kIdle);
  s.unref();  // the queue's reference, dropped by the worker after kIdle
}

void make_running(TaskState& s) {
  make_idle(s);
  ASSERT_EQ(s.wake(), TaskState::WakeAction::kSchedule);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
}

TEST(TaskState, NewTaskIsScheduledWithJoinInterestAndTheGivenReferences) {
  TaskState s(3);
  EXPECT_EQ(flags(s), TaskState::kScheduled | TaskState::kJoinInterest);
  EXPECT_EQ(refs(s), 3u);
}

TEST(TaskState, WakeOnIdleTaskSchedulesItAndAddsAQueueReference) {
  TaskState s(2);
  make_idle(s);
  ASSERT_EQ(refs(s), 1u);
  EXPECT_EQ(s.wake(), TaskState::WakeAction::kSchedule);
  EXPECT_EQ(flags(s), TaskState::kScheduled | TaskState::kJoinInterest);
  EXPECT_EQ(refs(s), 2u);
}

TEST(TaskState, WakeWhileRunningSetsNotifiedInsteadOfScheduling) {
  TaskState s(2);
  make_running(s);
  const Word refs_before = refs(s);
  EXPECT_EQ(s.wake(), TaskState::WakeAction::kNone);
  EXPECT_EQ(flags(s), TaskState::kRunning | TaskState::kNotified | TaskState::kJoinInterest);
  EXPECT_EQ(refs(s), refs_before);
}

TEST(TaskState, SecondWakeWhileRunningChangesNothing) {
  TaskState s(2);
  make_running(s);
  ASSERT_EQ(s.wake(), TaskState::WakeAction::kNone);
  const Word before = s.load();
  EXPECT_EQ(s.wake(), TaskState::WakeAction::kNone);
  EXPECT_EQ(s.load(), before);
}

TEST(TaskState, WakeWhileScheduledDoesNothing) {
  TaskState s(2);
  const Word before = s.load();
  EXPECT_EQ(s.wake(), TaskState::WakeAction::kNone);
  EXPECT_EQ(s.load(), before);
}

TEST(TaskState, WakeAfterCompleteDoesNothing) {
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  s.complete(false);
  const Word before = s.load();
  EXPECT_EQ(s.wake(), TaskState::WakeAction::kNone);
  EXPECT_EQ(s.load(), before);
}

TEST(TaskState, StartRunOnScheduledTaskPollsIt) {
  TaskState s(2);
  EXPECT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  EXPECT_EQ(flags(s), TaskState::kRunning | TaskState::kJoinInterest);
  EXPECT_EQ(refs(s), 2u);
}

TEST(TaskState, StartRunOnCancelledTaskAsksToDestroyTheFrameWhileRunning) {
  TaskState s(2);
  ASSERT_EQ(s.cancel(), TaskState::CancelAction::kNone);  // already SCHEDULED
  EXPECT_EQ(s.start_run(), TaskState::RunAction::kCancel);
  EXPECT_EQ(flags(s), TaskState::kRunning | TaskState::kCancelled | TaskState::kJoinInterest);
}

TEST(TaskState, StartRunOnCompleteTaskOnlyDropsTheQueueEntry) {
  // The defensive path for a stale queue entry (the shutdown drain runs
  // whatever is left in the queues): wake and cancel never schedule a
  // COMPLETE task, so here the entry is simulated by calling start_run.
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  s.complete(false);
  EXPECT_EQ(s.start_run(), TaskState::RunAction::kDrop);
  EXPECT_EQ(flags(s) & (TaskState::kRunning | TaskState::kScheduled), 0u);
  EXPECT_NE(flags(s) & TaskState::kComplete, 0u);
}

TEST(TaskState, EndRunWithoutWakeGoesIdle) {
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  EXPECT_EQ(s.end_run(), TaskState::EndAction::kIdle);
  EXPECT_EQ(flags(s), TaskState::kJoinInterest);
}

TEST(TaskState, EndRunAfterWakeReschedulesKeepingTheQueueReference) {
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  ASSERT_EQ(s.wake(), TaskState::WakeAction::kNone);
  EXPECT_EQ(s.end_run(), TaskState::EndAction::kReschedule);
  EXPECT_EQ(flags(s), TaskState::kScheduled | TaskState::kJoinInterest);
  EXPECT_EQ(refs(s), 2u);
}

TEST(TaskState, EndRunAfterCancelStaysRunningSoTheCallerDestroysTheFrame) {
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  ASSERT_EQ(s.cancel(), TaskState::CancelAction::kNone);
  EXPECT_EQ(s.end_run(), TaskState::EndAction::kCancel);
  EXPECT_NE(flags(s) & TaskState::kRunning, 0u);
  EXPECT_NE(flags(s) & TaskState::kCancelled, 0u);
}

TEST(TaskState, EndRunAfterWakeAndCancelPrefersCancel) {
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  ASSERT_EQ(s.wake(), TaskState::WakeAction::kNone);
  ASSERT_EQ(s.cancel(), TaskState::CancelAction::kNone);
  EXPECT_EQ(s.end_run(), TaskState::EndAction::kCancel);
}

TEST(TaskState, CompleteClearsRunningAndNotifiedAndReturnsTheOldWord) {
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  ASSERT_EQ(s.wake(), TaskState::WakeAction::kNone);
  const Word before = s.load();
  EXPECT_EQ(s.complete(false), before);
  EXPECT_EQ(flags(s), TaskState::kComplete | TaskState::kJoinInterest);
}

TEST(TaskState, CompleteAsCancelledSetsCancelled) {
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  s.complete(true);
  EXPECT_EQ(flags(s), TaskState::kComplete | TaskState::kCancelled | TaskState::kJoinInterest);
}

TEST(TaskState, CompleteReportsARegisteredJoinWaker) {
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  ASSERT_TRUE(s.set_join_waker());
  EXPECT_NE(s.complete(false) & TaskState::kJoinWaker, 0u);
}

TEST(TaskState, CancelOnIdleTaskSchedulesItWithAQueueReference) {
  TaskState s(2);
  make_idle(s);
  EXPECT_EQ(s.cancel(), TaskState::CancelAction::kSchedule);
  EXPECT_EQ(flags(s), TaskState::kScheduled | TaskState::kCancelled | TaskState::kJoinInterest);
  EXPECT_EQ(refs(s), 2u);
}

TEST(TaskState, CancelWhileRunningOnlyMarksTheTask) {
  TaskState s(2);
  make_running(s);
  const Word refs_before = refs(s);
  EXPECT_EQ(s.cancel(), TaskState::CancelAction::kNone);
  EXPECT_EQ(flags(s), TaskState::kRunning | TaskState::kCancelled | TaskState::kJoinInterest);
  EXPECT_EQ(refs(s), refs_before);
}

TEST(TaskState, CancelWhileScheduledOnlyMarksTheTask) {
  TaskState s(2);
  EXPECT_EQ(s.cancel(), TaskState::CancelAction::kNone);
  EXPECT_EQ(flags(s), TaskState::kScheduled | TaskState::kCancelled | TaskState::kJoinInterest);
  EXPECT_EQ(refs(s), 2u);
}

TEST(TaskState, CancelAfterCompleteDoesNothing) {
  TaskState s(2);
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  s.complete(false);
  const Word before = s.load();
  EXPECT_EQ(s.cancel(), TaskState::CancelAction::kNone);
  EXPECT_EQ(s.load(), before);
}

TEST(TaskState, SecondCancelOfAnIdleTaskDoesNotScheduleAgain) {
  TaskState s(2);
  make_idle(s);
  ASSERT_EQ(s.cancel(), TaskState::CancelAction::kSchedule);
  const Word before = s.load();
  EXPECT_EQ(s.cancel(), TaskState::CancelAction::kNone);
  EXPECT_EQ(s.load(), before);
}

TEST(TaskState, WakeOfACancelledScheduledTaskDoesNotScheduleItTwice) {
  TaskState s(2);
  make_idle(s);
  ASSERT_EQ(s.cancel(), TaskState::CancelAction::kSchedule);
  EXPECT_EQ(s.wake(), TaskState::WakeAction::kNone);
}

TEST(TaskState, SetJoinWakerSucceedsBeforeCompleteAndFailsAfter) {
  TaskState s(2);
  EXPECT_TRUE(s.set_join_waker());
  EXPECT_NE(flags(s) & TaskState::kJoinWaker, 0u);

  TaskState done(2);
  ASSERT_EQ(done.start_run(), TaskState::RunAction::kPoll);
  done.complete(false);
  EXPECT_FALSE(done.set_join_waker());
  EXPECT_EQ(flags(done) & TaskState::kJoinWaker, 0u);
}

TEST(TaskState, UnsetJoinWakerSucceedsBeforeCompleteAndFailsAfter) {
  TaskState s(2);
  ASSERT_TRUE(s.set_join_waker());
  EXPECT_TRUE(s.unset_join_waker());
  EXPECT_EQ(flags(s) & TaskState::kJoinWaker, 0u);

  ASSERT_TRUE(s.set_join_waker());
  ASSERT_EQ(s.start_run(), TaskState::RunAction::kPoll);
  s.complete(false);
  // Once COMPLETE the finisher may be reading the waker: it is not ours.
  EXPECT_FALSE(s.unset_join_waker());
  EXPECT_NE(flags(s) & TaskState::kJoinWaker, 0u);
}

TEST(TaskState, DropJoinInterestClearsInterestAndWakerAndReturnsTheOldWord) {
  TaskState s(2);
  ASSERT_TRUE(s.set_join_waker());
  const Word before = s.load();
  EXPECT_EQ(s.drop_join_interest(), before);
  EXPECT_EQ(flags(s) & (TaskState::kJoinInterest | TaskState::kJoinWaker), 0u);
}

TEST(TaskState, UnrefReportsOnlyTheLastReference) {
  TaskState s(3);
  s.ref();
  EXPECT_FALSE(s.unref());
  EXPECT_FALSE(s.unref(2));
  EXPECT_EQ(refs(s), 1u);
  EXPECT_TRUE(s.unref());
}

TEST(TaskState, ReferenceCountDoesNotDisturbTheFlags) {
  TaskState s(1);
  const Word before = flags(s);
  for (int i = 0; i < 1000; ++i) s.ref();
  EXPECT_EQ(flags(s), before);
  EXPECT_FALSE(s.unref(1000));
  EXPECT_EQ(flags(s), before);
}

// Many wakers against one runner: every wake that lands while the task is
// not scheduled must lead to exactly one more run (no lost wake-up, no double
// schedule), and the reference count must come out even.
TEST(TaskState, ConcurrentWakesAgainstARunnerNeverLoseOrDuplicateASchedule) {
  constexpr int kWakers = 3;
  constexpr std::uint64_t kTargetRuns = 2'000;
  // One reference: the queue's, for the initial SCHEDULED.
  TaskState s(1);
  std::atomic<int> queued{1};    // the run queue, modelled as a counter
  std::atomic<int> finished{0};  // wakers that are done
  std::atomic<int> events{0};    // bumped (and notified) on either change
  std::atomic<std::uint64_t> wake_schedules{0};
  std::atomic<std::uint64_t> runs_seen{0};  // wakers go on until this many runs
  auto bump = [&] {
    events.fetch_add(1);
    events.notify_one();
  };
  std::vector<std::thread> wakers;
  for (int i = 0; i < kWakers; ++i) {
    s.ref();  // the waker's own reference
    wakers.emplace_back([&] {
      while (runs_seen.load() < kTargetRuns) {
        if (s.wake() == TaskState::WakeAction::kSchedule) {
          wake_schedules.fetch_add(1);
          queued.fetch_add(1);
          bump();
        }
        std::this_thread::yield();  // leave the runner a core; not a wait
      }
      s.unref();
      finished.fetch_add(1);
      bump();
    });
  }
  std::uint64_t runs = 0;
  std::uint64_t reschedules = 0;
  bool failed = false;
  for (;;) {
    const int ev = events.load();
    if (queued.load() == 0) {
      if (finished.load() == kWakers) break;
      events.wait(ev);
      continue;
    }
    queued.fetch_sub(1);
    if (s.start_run() != TaskState::RunAction::kPoll) {
      ADD_FAILURE() << "a scheduled, uncancelled task must be polled";
      failed = true;
      break;
    }
    ++runs;
    runs_seen.store(runs);
    switch (s.end_run()) {
      case TaskState::EndAction::kIdle:
        s.unref();  // the queue's reference
        break;
      case TaskState::EndAction::kReschedule:
        ++reschedules;
        queued.fetch_add(1);
        break;
      case TaskState::EndAction::kCancel:
        ADD_FAILURE() << "nobody cancelled";
        failed = true;
        break;
    }
    // The state machine never gives one task two queue entries.
    if (queued.load() > 1) {
      ADD_FAILURE() << "task queued twice";
      failed = true;
    }
    if (failed) break;
  }
  runs_seen.store(kTargetRuns);  // stops the wakers if the loop bailed out
  for (auto& t : wakers) t.join();
  ASSERT_FALSE(failed);
  EXPECT_EQ(runs, 1 + wake_schedules.load() + reschedules);
  EXPECT_GE(runs, kTargetRuns);
  EXPECT_EQ(refs(s), 0u);
  EXPECT_EQ(flags(s), TaskState::kJoinInterest);
}

}  // namespace
