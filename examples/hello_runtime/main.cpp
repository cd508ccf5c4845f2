// A tour of the runtime in one file: tasks, spawn/join, cancellation.
//
//   make demo            (or: build/release/examples/hello_runtime/troupe-hello-runtime)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <troupe/runtime/runtime.hpp>

namespace {

// A Task is lazy: calling collatz_steps() only creates it; it runs when it
// is awaited or spawned.
troupe::Task<std::uint64_t> collatz_steps(std::uint64_t n) {
  std::uint64_t steps = 0;
  while (n != 1) {
    n = (n % 2 == 0) ? n / 2 : 3 * n + 1;
    ++steps;
  }
  co_return steps;
}

// Awaiting a Task runs it inline (no scheduling); spawning one makes it an
// independent unit of work that any worker thread may pick up or steal.
troupe::Task<std::uint64_t> longest_chain(std::uint64_t below) {
  std::vector<troupe::JoinHandle<std::uint64_t>> handles;
  handles.reserve(below);
  for (std::uint64_t n = 1; n < below; ++n) handles.push_back(troupe::spawn(collatz_steps(n)));
  std::uint64_t best = 0;
  for (auto& h : handles) {
    const std::uint64_t steps = co_await h;
    if (steps > best) best = steps;
  }
  co_return best;
}

}  // namespace

int main() {
  troupe::Runtime runtime;  // one worker per hardware thread
  std::printf("troupe runtime with %zu worker threads\n", runtime.worker_count());

  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t best = runtime.block_on(longest_chain(200'000));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("longest Collatz chain below 200000: %llu steps (%d tasks in %.3f s)\n",
              static_cast<unsigned long long>(best), 200'000, secs);

  // Dropping the runtime cancels whatever is still running and joins the
  // workers; here everything has already finished.
  return best == 382 ? 0 : 1;
}
