#include <algorithm>
#include <mutex>
#include <new>
#include <vector>

#include <troupe/runtime/detail/metrics_counters.hpp>

namespace troupe::detail {

constinit thread_local CounterBlock* tls_counter_block = nullptr;

namespace {

std::uint64_t get(const std::atomic<std::uint64_t>& c) noexcept {
  return c.load(std::memory_order_relaxed);
}

void add_block(CounterTotals& t, const CounterBlock& b) noexcept {
  t.messages_handled += get(b.messages_handled);
  t.tasks_spawned += get(b.tasks_spawned);
  t.actors_started += get(b.actors_started);
  t.actor_restarts += get(b.actor_restarts);
  for (std::size_t i = 0; i < t.dead_letters.size(); ++i)
    t.dead_letters[i] += get(b.dead_letters[i]);
  for (std::size_t i = 0; i < t.ask_buckets.size(); ++i) t.ask_buckets[i] += get(b.ask_buckets[i]);
  t.ask_count += get(b.ask_count);
  t.ask_nanoseconds += get(b.ask_nanoseconds);
}

/// Every live thread's block, and the counts of the threads gone. Never
/// destroyed: threads may count during static destruction.
struct Registry {
  std::mutex mutex;
  std::vector<CounterBlock*> blocks;
  CounterTotals retired;
  std::uint64_t next_serial = 1;
};

Registry& registry() noexcept {
  static Registry* r = new Registry;
  return *r;
}

/// Hands the thread's block back to the registry when the thread exits.
struct BlockOwner {
  CounterBlock* block = nullptr;
  ~BlockOwner() {
    if (block == nullptr) return;
    Registry& r = registry();
    {
      std::lock_guard lock(r.mutex);
      add_block(r.retired, *block);
      std::erase(r.blocks, block);
    }
    tls_counter_block = nullptr;
    delete block;
  }
};
thread_local BlockOwner tls_owner;

}  // namespace

CounterBlock& register_counter_block() noexcept {
  // Out of memory here would end the process anyway.
  auto* b = new CounterBlock;
  Registry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    b->serial = r.next_serial++;
    r.blocks.push_back(b);
  }
  tls_owner.block = b;
  tls_counter_block = b;
  return *b;
}

void count_ask(Duration d) noexcept {
  CounterBlock& b = counter_block();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  const double seconds = static_cast<double>(ns) / 1e9;
  const auto it = std::lower_bound(kAskBucketBounds.begin(), kAskBucketBounds.end(), seconds);
  bump(b.ask_buckets[static_cast<std::size_t>(it - kAskBucketBounds.begin())]);
  bump(b.ask_count);
  bump(b.ask_nanoseconds, ns > 0 ? static_cast<std::uint64_t>(ns) : 0);
}

void worker_begins() noexcept {
  CounterBlock& b = counter_block();
  b.parked_total.store(0, std::memory_order_relaxed);
  b.parked_since.store(0, std::memory_order_relaxed);
  b.worker_since.store(steady_nanoseconds(), std::memory_order_relaxed);
}

void worker_ends() noexcept { counter_block().worker_since.store(0, std::memory_order_relaxed); }

void worker_parks() noexcept {
  counter_block().parked_since.store(steady_nanoseconds(), std::memory_order_relaxed);
}

void worker_unparks() noexcept {
  CounterBlock& b = counter_block();
  const std::int64_t since = b.parked_since.load(std::memory_order_relaxed);
  if (since == 0) return;
  b.parked_total.store(
      b.parked_total.load(std::memory_order_relaxed) + (steady_nanoseconds() - since),
      std::memory_order_relaxed);
  b.parked_since.store(0, std::memory_order_relaxed);
}

CounterTotals sum_counters() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  CounterTotals t = r.retired;
  for (const CounterBlock* b : r.blocks) add_block(t, *b);
  return t;
}

std::vector<WorkerClock> worker_clocks() {
  const std::int64_t now = steady_nanoseconds();
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<WorkerClock> clocks;
  for (const CounterBlock* b : r.blocks) {
    const std::int64_t since = b->worker_since.load(std::memory_order_relaxed);
    if (since == 0) continue;
    // Read apart from each other: a park that ends meanwhile may be seen
    // twice or not at all for this one reading; clamped to be sane.
    const std::int64_t parking = b->parked_since.load(std::memory_order_relaxed);
    std::int64_t parked = b->parked_total.load(std::memory_order_relaxed);
    if (parking != 0 && parking < now) parked += now - parking;
    parked = std::clamp<std::int64_t>(parked, 0, now - since);
    clocks.push_back({b->serial, now, since, parked});
  }
  return clocks;
}

}  // namespace troupe::detail
