// Bounded mailboxes under a seeded schedule, for each overflow policy:
// producers tell and send while a slow consumer falls behind and is
// stopped at random; no message is handled twice or out of its sender's
// order, and every message is either handled or counted as a dead letter
// (refused, dropped, or left in the mailbox of a stopped actor).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/dead_letter.hpp>
#include <troupe/actor/mailbox_options.hpp>
#include <troupe/actor/spawn_options.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/gtest.hpp>

namespace sim_mailbox_test {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::DeadLetterReason;
using troupe::Duration;
using troupe::Overflow;
using troupe::SimContext;
using troupe::Task;
using troupe::TellStatus;

constexpr int kProducers = 3;
constexpr int kEach = 15;

struct Ledger {
  int handled_count[kProducers * kEach] = {};
  TellStatus status[kProducers * kEach] = {};
  int last_seq[kProducers] = {-1, -1, -1};
  int sent = 0;
  int started = 0;  // handlers entered (a stop may cancel one where it waits)
  int handled = 0;  // handlers that ran to the end
  int queued = 0;
  int full = 0, dropped = 0, dead_actor = 0;              // statuses given to senders
  int dead_full = 0, dead_dropped = 0, dead_stopped = 0;  // dead letters by reason
  std::string wrong;
  void mark(const std::string& what) {
    if (wrong.empty()) wrong = what;
  }
};

struct Item {
  int producer;
  int seq;
  Duration pause;  // the handler waits this long (a slow consumer)
};

struct Consumer : troupe::Actor<Consumer> {
  explicit Consumer(Ledger* l) : ledger(l) {}
  Task<void> handle(Item m) {
    const int id = m.producer * kEach + m.seq;
    ++ledger->started;
    if (m.pause > Duration::zero()) co_await troupe::sleep_for(m.pause);
    ++ledger->handled;
    if (++ledger->handled_count[id] > 1)
      ledger->mark("item " + std::to_string(id) + " handled twice");
    if (ledger->status[id] != TellStatus::kQueued) {
      ledger->mark("item " + std::to_string(id) + " handled though refused");
    }
    if (m.seq <= ledger->last_seq[m.producer]) {
      ledger->mark("producer " + std::to_string(m.producer) + ": item " + std::to_string(m.seq) +
                   " after " + std::to_string(ledger->last_seq[m.producer]));
    }
    ledger->last_seq[m.producer] = m.seq;
  }
  Ledger* ledger;
};

void account(Ledger* l, Overflow policy, bool waited, TellStatus s) {
  switch (s) {
    case TellStatus::kQueued:
      ++l->queued;
      return;
    case TellStatus::kFull:
      ++l->full;
      if (policy == Overflow::kDrop) l->mark("kFull under the drop policy");
      if (policy == Overflow::kBackpressure && waited) l->mark("a waiting send was refused");
      return;
    case TellStatus::kDropped:
      ++l->dropped;
      if (policy != Overflow::kDrop) l->mark("kDropped without the drop policy");
      return;
    case TellStatus::kDeadActor:
      ++l->dead_actor;
      return;
    default:
      l->mark("an unexpected TellStatus");
  }
}

Task<void> produce(SimContext* sim, Ledger* l, ActorRef<Consumer> c, Overflow policy, int p) {
  for (int seq = 0; seq < kEach; ++seq) {
    const int id = p * kEach + seq;
    Duration pause = Duration::zero();
    if (sim->random().chance(1, 4)) pause = sim->random().duration(0ms, 2ms);
    Item m{p, seq, pause};
    ++l->sent;
    // Set before the message goes: the consumer may handle it at once.
    l->status[id] = TellStatus::kQueued;
    const bool wait = sim->random().chance(1, 2);
    TellStatus s;
    if (wait) {
      s = co_await c.send(std::move(m));
    } else {
      s = c.tell(std::move(m));
    }
    l->status[id] = s;
    account(l, policy, wait, s);
    if (sim->random().chance(1, 60) && sim->fault("stop the consumer")) {
      if (sim->random().chance(1, 2)) {
        c.stop();
      } else {
        c.stop_gracefully();
      }
    }
    if (sim->random().chance(1, 5)) {
      const auto gap = sim->random().duration(0ms, 1ms);
      co_await troupe::sleep_for(gap);
    }
  }
}

Task<void> produce_all(SimContext* sim, Ledger* l, ActorRef<Consumer> c, Overflow policy) {
  std::vector<troupe::JoinHandle<void>> ps;
  for (int p = 0; p < kProducers; ++p) ps.push_back(troupe::spawn(produce(sim, l, c, policy, p)));
  for (auto& p : ps) co_await p;
}

struct Coverage {
  int refusals = 0;  // full or dropped
  int stopped_with_mail = 0;
};
Coverage g_coverage;

void scenario(SimContext& sim, Overflow policy) {
  Ledger l;
  {
    ActorSystem system(sim.scheduler(), {.log = sim.log_to_trace()});
    system.on_dead_letter([&l](const troupe::DeadLetter& d) {
      switch (d.reason) {
        case DeadLetterReason::kMailboxFull:
          ++l.dead_full;
          return;
        case DeadLetterReason::kDropped:
          ++l.dead_dropped;
          return;
        case DeadLetterReason::kStopped:
          ++l.dead_stopped;
          return;
        default:
          l.mark("an unexpected dead letter");
      }
    });
    const std::size_t capacity = 1 + sim.random().index(3);
    auto consumer = system.spawn_with<Consumer>(
        {.mailbox = troupe::MailboxOptions::bounded(capacity, policy)}, &l);
    sim.invariant("no message handled twice, out of order or though refused",
                  [&] { return l.wrong.empty(); });
    sim.scheduler().block_on(produce_all(&sim, &l, consumer, policy));
    sim.scheduler().run(1'000'000);
    system.shutdown();  // what is still queued becomes dead letters
  }
  sim.check(l.wrong.empty(), l.wrong);
  sim.check(l.dead_full == l.full, "kFull refusals: " + std::to_string(l.full) + ", dead letters " +
                                       std::to_string(l.dead_full));
  sim.check(l.dead_dropped == l.dropped, "kDropped: " + std::to_string(l.dropped) +
                                             ", dead letters " + std::to_string(l.dead_dropped));
  // A message whose handler started was delivered, even if a stop then
  // cancelled the handler where it waited.
  sim.check(l.started - l.handled <= 1, "more than one handler cancelled");
  sim.check(l.dead_stopped == l.dead_actor + (l.queued - l.started),
            "stopped-actor dead letters: " + std::to_string(l.dead_stopped) + ", expected " +
                std::to_string(l.dead_actor) + " refused + " +
                std::to_string(l.queued - l.started) + " queued and never handled");
  sim.check(l.started + l.dead_full + l.dead_dropped + l.dead_stopped == l.sent,
            "sent " + std::to_string(l.sent) + ", delivered " + std::to_string(l.started) +
                ", dead letters " + std::to_string(l.dead_full + l.dead_dropped + l.dead_stopped));
  g_coverage.refusals += l.full + l.dropped;
  if (l.queued > l.started) ++g_coverage.stopped_with_mail;
}

void run_policy(Overflow policy) {
  g_coverage = {};
  const troupe::SimReport r =
      troupe::simulate([policy](SimContext& sim) { scenario(sim, policy); });
  if (!r.failure && r.runs >= 200) {
    EXPECT_GT(g_coverage.refusals, 0) << "the mailbox was never full";
    EXPECT_GT(g_coverage.stopped_with_mail, 0) << "no consumer stopped with mail queued";
  }
}

TEST(SimMailbox, BackpressureLosesAndDuplicatesNothing) { run_policy(Overflow::kBackpressure); }
TEST(SimMailbox, FailLosesAndDuplicatesNothing) { run_policy(Overflow::kFail); }
TEST(SimMailbox, DropLosesAndDuplicatesNothing) { run_policy(Overflow::kDrop); }

}  // namespace sim_mailbox_test
