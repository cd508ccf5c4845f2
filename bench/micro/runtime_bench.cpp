// Micro-benchmarks of the runtime primitives (see bench/README.md).
#include <atomic>
#include <vector>

#include <benchmark/benchmark.h>

#include <troupe/runtime/runtime.hpp>

#include "../baton.hpp"

namespace {

troupe::Task<void> empty_task() { co_return; }

// Spawn one empty task and await it, repeatedly: the latency of one
// spawn -> run -> complete -> join cycle.
void BM_SpawnAwaitEmptyTask(benchmark::State& state) {
  troupe::Runtime rt({.workers = static_cast<std::size_t>(state.range(0))});
  rt.block_on([](benchmark::State& st) -> troupe::Task<void> {
    for (auto _ : st) co_await troupe::spawn(empty_task());
  }(state));
}
BENCHMARK(BM_SpawnAwaitEmptyTask)->Arg(1)->Arg(2)->UseRealTime();

// Spawn batches of 1,000 empty tasks, then join them: the cost per task when
// spawning is not serialized on completion.
void BM_SpawnBatchEmptyTasks(benchmark::State& state) {
  troupe::Runtime rt({.workers = static_cast<std::size_t>(state.range(0))});
  constexpr int kBatch = 1000;
  rt.block_on([](benchmark::State& st) -> troupe::Task<void> {
    std::vector<troupe::JoinHandle<void>> handles;
    handles.reserve(kBatch);
    for (auto _ : st) {
      for (int i = 0; i < kBatch; ++i) handles.push_back(troupe::spawn(empty_task()));
      for (auto& h : handles) co_await h;
      handles.clear();
    }
    st.SetItemsProcessed(st.iterations() * kBatch);
  }(state));
}
BENCHMARK(BM_SpawnBatchEmptyTasks)->Arg(1)->Arg(2)->UseRealTime();

// A one-slot signal between two tasks: the smallest possible leaf Future.
using troupe::bench::Baton;

troupe::Task<void> ponger(Baton& in, Baton& out, std::int64_t rounds) {
  for (std::int64_t i = 0; i < rounds; ++i) {
    co_await in.wait();
    out.post();
  }
}

// Two tasks hand a baton back and forth: one iteration is a round trip, i.e.
// two wake -> schedule -> poll -> resume cycles.
void BM_WakeRoundTrip(benchmark::State& state) {
  troupe::Runtime rt({.workers = static_cast<std::size_t>(state.range(0))});
  rt.block_on([](benchmark::State& st) -> troupe::Task<void> {
    Baton ping, pong;
    const auto rounds = static_cast<std::int64_t>(st.max_iterations);
    auto other = troupe::spawn(ponger(ping, pong, rounds));
    for (auto _ : st) {
      ping.post();
      co_await pong.wait();
    }
    co_await other;
  }(state));
}
BENCHMARK(BM_WakeRoundTrip)->Arg(1)->Arg(2)->UseRealTime()->Iterations(1'000'000);

}  // namespace
