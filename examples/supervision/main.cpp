// Supervision: a parent restarts a child that fails, with fresh state,
// until the child fails too often; then the parent gives up (escalates).
//
//   build/release/examples/supervision/troupe-supervision
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>

namespace {

using namespace std::chrono_literals;

struct Work {
  int n;
};
struct Done {};

// Fails on every multiple of 3. Its state (`handled`) starts over after
// each restart: a restart is a fresh instance behind the same ref.
struct Flaky : troupe::Actor<Flaky> {
  int handled = 0;
  void on_start() { std::printf("  flaky: started\n"); }
  void on_stop(const troupe::ExitReason& why) {
    std::printf("  flaky: stopped (%s)\n", why.describe().c_str());
  }
  int handle(const Work& w) {
    if (w.n % 3 == 0) throw std::runtime_error("cannot do " + std::to_string(w.n));
    return ++handled;
  }
};

// Supervises Flaky: restart it, at most twice within a minute.
struct Boss : troupe::Actor<Boss> {
  static troupe::SupervisorStrategy supervisor_strategy() {
    return troupe::SupervisorStrategy::one_for_one(/*max_restarts=*/2, /*within=*/60s);
  }
  troupe::ActorRef<Flaky> worker = spawn<Flaky>();
  void on_stop(const troupe::ExitReason& why) {
    std::printf("boss: stopped (%s)\n", why.describe().c_str());
  }
  troupe::ActorRef<Flaky> handle(Done) { return worker; }
};

troupe::Task<void> run(troupe::ActorRef<Boss> boss) {
  auto worker = (co_await boss.ask(Done{})).value();
  for (int n = 1; n <= 10; ++n) {
    auto r = co_await worker.ask(Work{n}, 1s);
    if (r) {
      std::printf("work %d: done (%d handled by this instance)\n", n, *r);
    } else {
      std::printf("work %d: %s\n", n, troupe::to_string(r.error()));
    }
  }
}

}  // namespace

int main() {
  troupe::ActorSystem system;
  auto boss = system.spawn<Boss>();
  system.block_on(run(boss));
  std::printf("actors still alive: %zu\n", system.live_actors());
}
