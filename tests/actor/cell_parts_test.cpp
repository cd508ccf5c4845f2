// The parts of an actor's cell on their own: the mapping of a mailbox's
// answer to what a sender reports (offer_outcome.hpp), the system-message
// queue (system_message.hpp), the system's log hook, and the race between
// a monitor request and the target's stop.

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/detail/offer_outcome.hpp>
#include <troupe/actor/detail/system_message.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/test_executor.hpp>

namespace {

using troupe::AskError;
using troupe::DeadLetterReason;
using troupe::Overflow;
using troupe::TellStatus;
using troupe::detail::offer_outcome;
using troupe::detail::OfferResult;
using troupe::detail::SystemMessage;
using troupe::detail::SystemQueue;

// --- offer_outcome ------------------------------------------------------------------

TEST(OfferOutcome, AnAcceptedMessageIsQueuedWhateverThePolicy) {
  for (Overflow o : {Overflow::kBackpressure, Overflow::kFail, Overflow::kDrop}) {
    for (bool may_wait : {false, true}) {
      const auto r = offer_outcome(OfferResult::kAccepted, o, may_wait);
      EXPECT_EQ(r.status, TellStatus::kQueued);
      EXPECT_FALSE(r.wait);
      EXPECT_FALSE(r.refused());
    }
  }
}

TEST(OfferOutcome, AClosedMailboxMakesADeadLetterOfADeadActor) {
  for (Overflow o : {Overflow::kBackpressure, Overflow::kFail, Overflow::kDrop}) {
    for (bool may_wait : {false, true}) {
      const auto r = offer_outcome(OfferResult::kClosed, o, may_wait);
      EXPECT_EQ(r.status, TellStatus::kDeadActor);
      EXPECT_TRUE(r.refused());
      EXPECT_EQ(r.reason, DeadLetterReason::kStopped);
      EXPECT_EQ(r.ask, AskError::kDeadActor);
    }
  }
}

TEST(OfferOutcome, AFullMailboxWaitsOnlyWithBackpressureAndASenderThatCanWait) {
  const auto send = offer_outcome(OfferResult::kFull, Overflow::kBackpressure, true);
  EXPECT_TRUE(send.wait);
  EXPECT_FALSE(send.refused());

  const auto tell = offer_outcome(OfferResult::kFull, Overflow::kBackpressure, false);
  EXPECT_FALSE(tell.wait);
  EXPECT_TRUE(tell.refused());
  EXPECT_EQ(tell.status, TellStatus::kFull);
  EXPECT_EQ(tell.reason, DeadLetterReason::kMailboxFull);
  EXPECT_EQ(tell.ask, AskError::kMailboxFull);

  for (bool may_wait : {false, true}) {
    const auto fail = offer_outcome(OfferResult::kFull, Overflow::kFail, may_wait);
    EXPECT_TRUE(fail.refused());
    EXPECT_EQ(fail.status, TellStatus::kFull);
    EXPECT_EQ(fail.reason, DeadLetterReason::kMailboxFull);
    EXPECT_EQ(fail.ask, AskError::kMailboxFull);

    const auto drop = offer_outcome(OfferResult::kFull, Overflow::kDrop, may_wait);
    EXPECT_TRUE(drop.refused());
    EXPECT_EQ(drop.status, TellStatus::kDropped);
    EXPECT_EQ(drop.reason, DeadLetterReason::kDropped);
    EXPECT_EQ(drop.ask, AskError::kMailboxFull);
  }
}

// --- SystemQueue ------------------------------------------------------------------

SystemMessage* system_message(SystemMessage::Kind kind, troupe::ActorId from) {
  return new SystemMessage(kind, nullptr, from, troupe::ExitReason::normal());
}

TEST(SystemQueue, APushWakesOnlyALoopThatFoundTheQueueEmpty) {
  SystemQueue q;
  // A fresh actor's first run is queued already: no wake needed.
  EXPECT_FALSE(q.push(system_message(SystemMessage::Kind::kDown, 1)));
  SystemMessage* m = q.pop();
  ASSERT_NE(m, nullptr);
  delete m;
  EXPECT_EQ(q.pop(), nullptr);  // empty: armed
  EXPECT_TRUE(q.push(system_message(SystemMessage::Kind::kDown, 2)));
  EXPECT_FALSE(q.push(system_message(SystemMessage::Kind::kDown, 3)))
      << "one wake until the loop comes back";
}

TEST(SystemQueue, MessagesComeOutInTheOrderTheyWerePushed) {
  SystemQueue q;
  for (troupe::ActorId id = 1; id <= 5; ++id) {
    (void)q.push(system_message(SystemMessage::Kind::kDown, id));
  }
  EXPECT_FALSE(q.stop_pending());  // takes 1..5 out
  (void)q.push(system_message(SystemMessage::Kind::kDown, 6));
  std::vector<troupe::ActorId> order;
  while (SystemMessage* m = q.pop()) {
    order.push_back(m->from_id);
    delete m;
  }
  EXPECT_EQ(order, (std::vector<troupe::ActorId>{1, 2, 3, 4, 5, 6}));
}

TEST(SystemQueue, AStopIsFoundAmongTheWaitingMessagesAndKeepsItsPlace) {
  SystemQueue q;
  (void)q.push(system_message(SystemMessage::Kind::kDown, 1));
  EXPECT_FALSE(q.stop_pending());
  (void)q.push(system_message(SystemMessage::Kind::kStop, 2));
  (void)q.push(system_message(SystemMessage::Kind::kDown, 3));
  EXPECT_TRUE(q.stop_pending());
  EXPECT_TRUE(q.push(system_message(SystemMessage::Kind::kDown, 4)))
      << "stop_pending leaves the queue armed";
  std::vector<troupe::ActorId> order;
  while (SystemMessage* m = q.pop()) {
    order.push_back(m->from_id);
    delete m;
  }
  EXPECT_EQ(order, (std::vector<troupe::ActorId>{1, 2, 3, 4}));
}

TEST(SystemQueue, AClosedQueueDestroysWhatIsLeftAndWhatComesLater) {
  SystemQueue q;
  (void)q.push(system_message(SystemMessage::Kind::kDown, 1));
  EXPECT_FALSE(q.stop_pending());
  (void)q.push(system_message(SystemMessage::Kind::kDown, 2));
  q.close_and_discard();  // both go (the sanitizers see a leak otherwise)
  EXPECT_FALSE(q.push(system_message(SystemMessage::Kind::kDown, 3)));
  EXPECT_EQ(q.pop(), nullptr);
}

// --- The log hook ---------------------------------------------------------------

struct CellPartsFailing : troupe::Actor<CellPartsFailing> {
  void handle(int) { throw std::runtime_error("boom"); }
};

struct CellPartsBadStop : troupe::Actor<CellPartsBadStop> {
  void on_stop(const troupe::ExitReason&) { throw std::runtime_error("no"); }
  void handle(int) {}
};

struct CellPartsLog {
  std::mutex mutex;
  std::vector<std::string> lines;
  troupe::ActorSystemOptions options() {
    troupe::ActorSystemOptions o;
    o.log = [this](const std::string& line) {
      std::lock_guard lock(mutex);
      lines.push_back(line);
    };
    return o;
  }
};

TEST(ActorSystemLog, ATopLevelActorStoppedByAFailureIsReportedThroughTheHook) {
  troupe::TestExecutor ex;
  CellPartsLog log;
  troupe::ActorSystem system(ex, log.options());
  auto a = system.spawn<CellPartsFailing>();
  a.tell(1);
  ex.run_until_idle();
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.lines[0], "actor " + std::to_string(a.id()) + " stopped: failed: boom");
}

TEST(ActorSystemLog, AnOnStopThatThrowsIsReportedThroughTheHook) {
  troupe::TestExecutor ex;
  CellPartsLog log;
  troupe::ActorSystem system(ex, log.options());
  auto a = system.spawn<CellPartsBadStop>();
  ex.run_until_idle();
  a.stop();
  ex.run_until_idle();
  EXPECT_EQ(log.lines, (std::vector<std::string>{"an actor's on_stop threw; ignored"}));
}

TEST(ActorSystemLog, AHookThatThrowsIsIgnored) {
  troupe::TestExecutor ex;
  troupe::ActorSystemOptions o;
  o.log = [](const std::string&) { throw std::runtime_error("hook"); };
  troupe::ActorSystem system(ex, o);
  auto a = system.spawn<CellPartsFailing>();
  a.tell(1);
  ex.run_until_idle();
  EXPECT_EQ(system.live_actors(), 0u);
}

// --- A monitor request racing the target's stop ------------------------------------

struct CellPartsTarget : troupe::Actor<CellPartsTarget> {
  void handle(int) {}
};

struct CellPartsWatcher : troupe::Actor<CellPartsWatcher> {
  explicit CellPartsWatcher(troupe::MpscSender<troupe::ActorId> downs) : downs(std::move(downs)) {}
  void handle(int) {}
  void handle(const troupe::Down& d) { (void)downs.try_send(d.actor); }
  troupe::MpscSender<troupe::ActorId> downs;
};

TEST(CellParts, AMonitorRequestRacingTheStopGetsExactlyOneDown) {
  constexpr int kRounds = 300;
  troupe::ActorSystem system(troupe::ActorSystemOptions{.workers = 2});
  auto [tx, rx] = troupe::channel::mpsc::unbounded<troupe::ActorId>();
  auto watcher = system.spawn<CellPartsWatcher>(std::move(tx));
  std::set<troupe::ActorId> targets;
  for (int i = 0; i < kRounds; ++i) {
    auto target = system.spawn<CellPartsTarget>();
    targets.insert(target.id());
    if (i % 2 == 0) target.tell(1);  // sometimes running, sometimes not yet
    std::thread monitor([&] { target.monitor(watcher); });
    target.stop();
    monitor.join();
  }
  // One Down per target, each for a different target: a lost one shows as
  // the 20 s deadline, a doubled one as a repeated id.
  const auto got = system.block_on(
      [](troupe::MpscReceiver<troupe::ActorId>& downs) -> troupe::Task<std::set<troupe::ActorId>> {
        std::set<troupe::ActorId> seen;
        troupe::Sleep deadline = troupe::sleep_for(std::chrono::seconds(20));
        for (int i = 0; i < kRounds; ++i) {
          auto r = co_await troupe::select(downs.recv(), deadline);
          if (r.index() != 0 || !std::get<0>(r)) break;
          if (!seen.insert(*std::get<0>(r)).second) break;
        }
        co_return seen;
      }(rx));
  EXPECT_EQ(got, targets) << "one Down per target, none lost, none twice";
  // Every target has ended (its Down came) and every monitor request has
  // returned (joined): a second Down would be posted by now, so it would be
  // handled before an ask that goes through the mailbox after it.
  const bool synced =
      system.block_on([](troupe::ActorRef<CellPartsWatcher> w) -> troupe::Task<bool> {
        auto r = co_await w.ask(0, std::chrono::seconds(10));
        co_return r.has_value();
      }(watcher));
  ASSERT_TRUE(synced);
  EXPECT_FALSE(rx.try_recv()) << "a target's Down came twice";
}

}  // namespace
