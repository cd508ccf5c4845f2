// fork_join: `actors` worker actors. The driver, a task on the actors'
// runtime (like the peers' driver task or actor), tells message i to worker
// i % actors for i in 0..n-1 (each mailbox holds `mailbox` messages, 64 by
// default as the Go peer's channels do, and the driver waits for room with
// `co_await send`; `mailbox=0`: unbounded, and it tells), then asks every
// worker for its report; a
// worker does x = x*31 + i per message and answers the ask with its count
// (and x). All asks are sent before the first is awaited, so the join
// waits for the slowest worker only once. check = the sum of the counts = n.
// The XOR of the workers' x goes to stderr, comparable with the peers'.
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/ask_future.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/task.hpp>

#include "cases/actor_support.hpp"
#include "cases/cases.hpp"

namespace troupe::bench {

namespace {

struct Work {
  std::int64_t i;
};
struct Done {};
struct Report {
  std::int64_t count;
  std::uint64_t x;
};

class Worker : public Actor<Worker> {
 public:
  bool handle(const Ready&) { return true; }
  void handle(const Work& m) {
    x_ = x_ * 31 + static_cast<std::uint64_t>(m.i);
    ++count_;
  }
  Report handle(const Done&) { return {count_, x_}; }

 private:
  std::uint64_t x_ = 0;
  std::int64_t count_ = 0;
};

struct Joined {
  double secs;
  std::int64_t total;
  std::uint64_t digest;
};

// A tell to an unbounded mailbox (it never waits), `co_await send` to a
// bounded one, which waits for room.
Task<Joined> drive(std::vector<ActorRef<Worker>> workers, std::int64_t n, bool bounded) {
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t w = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (bounded) {
      const TellStatus s = co_await workers[w].send(Work{i});
      if (s != TellStatus::kQueued) refused_tell();
    } else {
      tell_or_throw(workers[w], Work{i});
    }
    if (++w == workers.size()) w = 0;
  }
  std::vector<AskFuture<Report>> reports;
  reports.reserve(workers.size());
  for (const auto& worker : workers) reports.push_back(worker.ask(Done{}));
  Joined j{0, 0, 0};
  for (auto& r : reports) {
    const Report rep = (co_await r).value();
    j.total += rep.count;
    j.digest ^= rep.x;
  }
  j.secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  co_return j;
}

}  // namespace

Outcome run_fork_join(const Params& p) {
  const std::int64_t n = p.get("n");
  const std::int64_t actors = p.get("actors");
  ActorSystem system(actor_system_options(p));
  std::vector<ActorRef<Worker>> workers;
  workers.reserve(static_cast<std::size_t>(actors));
  const SpawnOptions options = receiver_options(p);
  for (std::int64_t i = 0; i < actors; ++i) workers.push_back(system.spawn_with<Worker>(options));
  wait_ready(system, workers);

  const Joined j = system.block_on(drive(workers, n, p.get("mailbox") > 0));
  std::fprintf(stderr, "fork_join digest=%" PRId64 "\n", static_cast<std::int64_t>(j.digest));

  Outcome o;
  o.n = n;
  o.secs = j.secs;
  o.check = static_cast<std::uint64_t>(j.total);
  o.expected = static_cast<std::uint64_t>(n);
  return o;
}

}  // namespace troupe::bench
