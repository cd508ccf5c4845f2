// troupe-runtime-figures: the runtime's headline costs, one line each.
//
//   troupe-runtime-figures [spawn|wake|idle|timers|all] [n=...] [workers=...]
//
// spawn   ns to spawn + run + complete + join one empty task (batches of 1000)
// wake    ns per wake -> resume between two tasks (one baton, passed back and forth)
// idle    CPU used by a started, idle runtime over 2 s (percent of one core)
// timers  bytes of memory per task parked in sleep_for (n tasks, one timer each)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/sleep.hpp>

#include "baton.hpp"

namespace {

using Seconds = std::chrono::duration<double>;

std::map<std::string, std::string> parse_args(int argc, char** argv) {
  std::map<std::string, std::string> kv;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (eq != std::string::npos) kv[a.substr(0, eq)] = a.substr(eq + 1);
  }
  return kv;
}

long get(const std::map<std::string, std::string>& kv, const char* key, long dflt) {
  auto it = kv.find(key);
  return it == kv.end() ? dflt : std::stol(it->second);
}

long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

troupe::Task<void> empty_task() { co_return; }

void spawn_figure(long n, std::size_t workers) {
  troupe::Runtime rt({.workers = workers});
  const auto secs = rt.block_on([](long total) -> troupe::Task<double> {
    std::vector<troupe::JoinHandle<void>> batch;
    batch.reserve(1000);
    const auto t0 = std::chrono::steady_clock::now();
    for (long done = 0; done < total; done += 1000) {
      for (int i = 0; i < 1000; ++i) batch.push_back(troupe::spawn(empty_task()));
      for (auto& h : batch) co_await h;
      batch.clear();
    }
    co_return Seconds(std::chrono::steady_clock::now() - t0).count();
  }(n));
  std::printf("spawn workers=%zu n=%ld ns_per_task=%.1f\n", workers, n, secs * 1e9 / n);
}

using troupe::bench::Baton;

troupe::Task<void> bounce(Baton& in, Baton& out, long rounds) {
  for (long i = 0; i < rounds; ++i) {
    co_await in.wait();
    out.post();
  }
}

void wake_figure(long n, std::size_t workers) {
  troupe::Runtime rt({.workers = workers});
  const auto secs = rt.block_on([](long rounds) -> troupe::Task<double> {
    Baton ping, pong;
    auto other = troupe::spawn(bounce(ping, pong, rounds));
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < rounds; ++i) {
      ping.post();
      co_await pong.wait();
    }
    const double s = Seconds(std::chrono::steady_clock::now() - t0).count();
    co_await other;
    co_return s;
  }(n));
  std::printf(
      "wake workers=%zu round_trips=%ld ns_per_wake_to_resume=%.1f ns_per_round_trip=%.1f\n",
      workers, n, secs * 1e9 / (2.0 * n), secs * 1e9 / n);
}

void idle_figure(std::size_t workers) {
  troupe::Runtime rt({.workers = workers});
  rt.block_on(empty_task());  // every worker has started
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the measurement window
  const double wall = Seconds(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - c0;
  std::printf("idle workers=%zu wall_s=%.2f cpu_s=%.4f cpu_percent_of_one_core=%.3f\n", workers,
              wall, cpu, 100.0 * cpu / wall);
}

troupe::Task<void> sleeper(std::atomic<long>& parked) {
  parked.fetch_add(1, std::memory_order_relaxed);
  co_await troupe::sleep_for(std::chrono::hours(1));
}

void timers_figure(long n, std::size_t workers) {
  troupe::Runtime rt({.workers = workers});
  rt.block_on(empty_task());
  std::atomic<long> parked{0};
  const long before = rss_kb();
  std::vector<troupe::JoinHandle<void>> handles;
  handles.reserve(static_cast<std::size_t>(n));
  const long handles_kb = rss_kb() - before;
  for (long i = 0; i < n; ++i) handles.push_back(rt.spawn(sleeper(parked)));
  while (parked.load(std::memory_order_relaxed) < n) std::this_thread::yield();
  while (rt.live_tasks() < static_cast<std::size_t>(n)) std::this_thread::yield();
  const long after = rss_kb();
  const double per_task = (after - before - handles_kb) * 1024.0 / static_cast<double>(n);
  std::printf("timers workers=%zu n=%ld rss_delta_kb=%ld bytes_per_sleeping_task=%.0f\n", workers,
              n, after - before - handles_kb, per_task);
  for (auto& h : handles) h.cancel();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "all";
  const auto kv = parse_args(argc, argv);
  const auto workers = static_cast<std::size_t>(get(kv, "workers", 2));
  const bool all = what == "all";
  if (all || what == "spawn") spawn_figure(get(kv, "n", 1'000'000), workers);
  if (all || what == "wake") wake_figure(get(kv, "n", 1'000'000), workers);
  if (all || what == "idle") idle_figure(workers);
  if (all || what == "timers") timers_figure(get(kv, "n", 1'000'000), workers);
  return 0;
}
