// Actor timers under a seeded schedule with late timers: a receive
// timeout comes only after that long without a message, a send_after
// never arrives early, a cancelled one never arrives, and an actor that
// stops when idle stops only after that long without a message.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/actor/timers.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/gtest.hpp>

namespace sim_timer_test {

using namespace std::chrono_literals;
using troupe::ActorRef;
using troupe::ActorSystem;
using troupe::Duration;
using troupe::ExitReason;
using troupe::Instant;
using troupe::SimContext;
using troupe::SimScheduler;
using troupe::Task;

constexpr Duration kSilence = 3ms;

struct Note {
  Instant sent;    // when it was told
  Duration delay;  // after how long it was to arrive (send_after), or zero
  bool cancelled;  // its send_after was cancelled: it must not arrive
};

struct Ledger {
  std::optional<Instant> last_activity;  // last message or receive timeout
  int timeouts = 0;
  int notes = 0;
  std::optional<Instant> idler_last_message;
  std::optional<Instant> idler_stopped;
  std::string wrong;
  void mark(const std::string& what) {
    if (wrong.empty()) wrong = what;
  }
};

struct Listener : troupe::Actor<Listener> {
  Listener(Ledger* l, SimScheduler* s) : ledger(l), sched(s) {}
  void on_start() { this->set_receive_timeout(kSilence); }
  void handle(const Note& n) {
    const Instant now = sched->now();
    ++ledger->notes;
    if (n.cancelled) ledger->mark("a cancelled send_after arrived");
    if (now < n.sent + n.delay) ledger->mark("a send_after arrived early");
    ledger->last_activity = now;
  }
  void handle(const troupe::ReceiveTimeout&) {
    const Instant now = sched->now();
    ++ledger->timeouts;
    if (ledger->last_activity && now - *ledger->last_activity < kSilence) {
      ledger->mark("a receive timeout after " +
                   std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                      now - *ledger->last_activity)
                                      .count()) +
                   " us of silence");
    }
    ledger->last_activity = now;
  }
  Ledger* ledger;
  SimScheduler* sched;
};

struct Idler : troupe::Actor<Idler> {
  Idler(Ledger* l, SimScheduler* s) : ledger(l), sched(s) {}
  void handle(int) { ledger->idler_last_message = sched->now(); }
  void on_stop(const ExitReason&) { ledger->idler_stopped = sched->now(); }
  Ledger* ledger;
  SimScheduler* sched;
};

Task<void> drive(SimContext* sim, ActorRef<Listener> listener, ActorRef<Idler> idler) {
  std::vector<troupe::TimerHandle> timers;  // dropped handles would run on too
  for (int i = 0; i < 25; ++i) {
    const Instant now = sim->scheduler().now();
    const auto kind = sim->random().below(4);
    if (kind == 0) {
      listener.tell(Note{now, Duration::zero(), false});
    } else if (kind == 1) {
      const Duration d = sim->random().duration(0ms, 6ms);
      timers.push_back(troupe::send_after(d, listener, Note{now, d, false}));
    } else if (kind == 2) {
      // Cancelled before it is due (the due time is at least 1 ms away).
      const Duration d = sim->random().duration(1ms, 6ms);
      auto h = troupe::send_after(d, listener, Note{now, d, true});
      h.cancel();
    } else {
      idler.tell(1);
    }
    const auto pause = sim->random().duration(0ms, 4ms);
    co_await troupe::sleep_for(pause);
  }
}

void scenario(SimContext& sim) {
  Ledger l;
  ActorSystem system(sim.scheduler(), {.log = sim.log_to_trace()});
  auto listener = system.spawn<Listener>(&l, &sim.scheduler());
  auto idler = system.spawn_with<Idler>({.stop_when_idle = kSilence}, &l, &sim.scheduler());
  sim.invariant("timers never fire early", [&] { return l.wrong.empty(); });
  sim.scheduler().block_on(drive(&sim, listener, idler));
  sim.scheduler().run_for(20ms);
  sim.check(l.wrong.empty(), l.wrong);
  sim.check(l.idler_stopped.has_value(), "the idle actor never stopped");
  if (l.idler_stopped && l.idler_last_message) {
    sim.check(*l.idler_stopped - *l.idler_last_message >= kSilence,
              "the idle actor stopped after a message, too soon");
  }
  sim.check(l.timeouts > 0, "no receive timeout in 20 ms of silence");
  listener.stop();
}

TEST(SimTimers, TimersNeverFireEarlyAndCancelledOnesNeverFire) {
  troupe::SimOptions o;
  o.scheduler.max_timer_delay = 1ms;  // timers fire up to 1 ms late
  troupe::simulate(scenario, o);
}

}  // namespace sim_timer_test
