// Micro-benchmarks of the actor primitives (see bench/README.md): tell
// throughput into one actor, and the ask round trip.
#include <cstdint>
#include <stdexcept>

#include <benchmark/benchmark.h>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>

namespace {

struct Add {
  std::int64_t amount;
};
struct Get {};

struct Counter : troupe::Actor<Counter> {
  std::int64_t total = 0;
  void handle(const Add& m) { total += m.amount; }
  std::int64_t handle(const Get&) { return total; }
};

constexpr std::int64_t kTells = 10'000;

// A task tells kTells messages to one actor, then asks for the total (which
// is handled after every tell): the cost per tell, envelope, queueing, wake
// and handler included (workers = the argument).
void BM_ActorTell(benchmark::State& state) {
  troupe::ActorSystem system({.workers = static_cast<std::size_t>(state.range(0))});
  auto counter = system.spawn<Counter>();
  std::int64_t expected = 0;
  for (auto _ : state) {
    expected += kTells;
    const std::int64_t total =
        system.block_on([](troupe::ActorRef<Counter> c) -> troupe::Task<std::int64_t> {
          for (std::int64_t i = 0; i < kTells; ++i) {
            if (c.tell(Add{1}) != troupe::TellStatus::kQueued) throw std::runtime_error("refused");
          }
          co_return (co_await c.ask(Get{})).value();
        }(counter));
    if (total != expected) throw std::runtime_error("lost a tell");
  }
  state.SetItemsProcessed(state.iterations() * kTells);
}
BENCHMARK(BM_ActorTell)->Arg(1)->Arg(2)->UseRealTime();

// One ask after another from a task: the latency of ask -> handler -> reply
// -> resume.
void BM_AskRoundTrip(benchmark::State& state) {
  troupe::ActorSystem system({.workers = static_cast<std::size_t>(state.range(0))});
  auto counter = system.spawn<Counter>();
  system.block_on([](troupe::ActorRef<Counter> c, benchmark::State& st) -> troupe::Task<void> {
    for (auto _ : st) {
      auto r = co_await c.ask(Get{});
      if (!r) throw std::runtime_error("ask failed");
      benchmark::DoNotOptimize(r.value());
    }
  }(counter, state));
}
BENCHMARK(BM_AskRoundTrip)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
