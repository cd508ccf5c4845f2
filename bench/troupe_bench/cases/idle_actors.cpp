// idle_actors: the driver spawns n top-level actors that do nothing but
// wait on their empty mailboxes; secs = the time until all n exist (each
// counts itself in its constructor, which runs on a worker right before
// the actor parks on its mailbox; the last one signals the driver). Then
// the driver reads the peak RSS (with all n alive) and checks how many the
// system counts alive (check = n), and shuts the system down, which stops
// them all. The driver keeps no ActorRef: the system already holds every
// top-level actor, so a vector of refs would only add 8 bytes per actor.
// Bytes per idle actor = (rss_kb*1024 - rss of the same run with n=0) / n.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>

#include "cases/actor_support.hpp"
#include "cases/cases.hpp"
#include "peak_rss.hpp"

namespace troupe::bench {

namespace {

// Shared by all the idle actors; each holds only a pointer to it.
struct Roll {
  std::int64_t n;
  Sender<char> all_started;
  std::atomic<std::int64_t> started{0};
};

// Never sent: an actor class needs a message type to be one.
struct Nothing {};

class Idle : public Actor<Idle> {
 public:
  // Counted here rather than in a member, so that the instance holds
  // nothing beyond its base.
  explicit Idle(Roll* roll) {
    if (roll->started.fetch_add(1, std::memory_order_acq_rel) + 1 == roll->n) {
      complete(roll->all_started, char{1});
    }
  }
  void handle(const Nothing&) {}
};

}  // namespace

Outcome run_idle_actors(const Params& p) {
  const std::int64_t n = p.get("n");
  ActorSystem system(actor_system_options(p));
  Completion<char> all_started;
  Roll roll{n, all_started.sender()};
  const std::size_t before = system.live_actors();

  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < n; ++i) system.spawn<Idle>(&roll);
  if (n > 0) all_started.wait();
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;

  Outcome o;
  o.n = n;
  o.secs = secs.count();
  o.check = system.live_actors() - before;
  o.expected = static_cast<std::uint64_t>(n);
  o.rss_kb = peak_rss_kb();

  const auto t1 = std::chrono::steady_clock::now();
  system.shutdown();
  const std::chrono::duration<double> stop_secs = std::chrono::steady_clock::now() - t1;
  std::fprintf(stderr, "idle_actors stop_all_secs=%.3f live_after=%zu\n", stop_secs.count(),
               system.live_actors());
  return o;
}

}  // namespace troupe::bench
