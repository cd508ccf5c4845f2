// A million idle actors: spawned, alive together, then all stopped by
// shutdown, with nothing left behind (LeakSanitizer checks the last part
// in the asan build).

#include <atomic>
#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr std::size_t kActors = 100'000;  // TSan's shadow memory: a tenth
#else
constexpr std::size_t kActors = 1'000'000;
#endif

struct Counters {
  std::atomic<std::size_t> started{0};
  std::atomic<std::size_t> stopped{0};
};

struct Idle : troupe::Actor<Idle> {
  explicit Idle(Counters* c) : counters(c) {}
  void on_start() {
    if (counters->started.fetch_add(1) + 1 == kActors) counters->started.notify_all();
  }
  void on_stop(const troupe::ExitReason&) { counters->stopped.fetch_add(1); }
  void handle(int) {}
  Counters* counters;
};

TEST(Million, AMillionIdleActorsAreAllStoppedByShutdown) {
  Counters counters;
  troupe::ActorSystem system({.workers = 2});
  for (std::size_t i = 0; i < kActors; ++i) system.spawn<Idle>(&counters);
  for (auto n = counters.started.load(); n < kActors; n = counters.started.load()) {
    counters.started.wait(n);
  }
  EXPECT_EQ(system.live_actors(), kActors);
  system.shutdown();
  EXPECT_EQ(system.live_actors(), 0u);
  EXPECT_EQ(counters.stopped.load(), kActors);
}

}  // namespace
