// fan_in: `producers` producer actors each send their share of n Add{1}
// (n/producers, the first n%producers one more) to one counter actor, all
// from one handler in a tight loop, as fast as the mailbox takes them. The
// counter's mailbox holds `mailbox` messages (64 by default, as the Go
// peer's channels do) and a producer waits for room when it is full
// (`co_await send`); `mailbox=0` makes it unbounded, as in CAF and Tokio,
// where nothing slows the producers down but memory (they tell). The
// counter sends its sum to the driver when it reaches n. This measures
// many senders contending on one mailbox. check = n.
#include <chrono>
#include <cstdint>
#include <vector>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/actor/tell_status.hpp>
#include <troupe/runtime/task.hpp>

#include "cases/actor_support.hpp"
#include "cases/cases.hpp"

namespace troupe::bench {

namespace {

struct Add {
  std::int64_t amount;
};
struct Produce {};

class Counter : public Actor<Counter> {
 public:
  Counter(std::int64_t n, Sender<std::uint64_t> done) : n_(n), done_(std::move(done)) {}

  // With n = 0 no Add ever comes to finish it.
  void on_start() {
    if (n_ == 0) complete(done_, std::uint64_t{0});
  }
  bool handle(const Ready&) { return true; }
  void handle(const Add& m) {
    sum_ += m.amount;
    if (sum_ == n_) complete(done_, static_cast<std::uint64_t>(sum_));
  }

 private:
  std::int64_t n_;
  Sender<std::uint64_t> done_;
  std::int64_t sum_ = 0;
};

class Producer : public Actor<Producer> {
 public:
  Producer(ActorRef<Counter> counter, std::int64_t count, bool bounded)
      : counter_(std::move(counter)), count_(count), bounded_(bounded) {}

  bool handle(const Ready&) { return true; }
  // A tell to an unbounded mailbox (it never waits); `co_await send` to a
  // bounded one, which waits for room.
  Task<void> handle(const Produce&) {
    for (std::int64_t i = 0; i < count_; ++i) {
      if (bounded_) {
        const TellStatus s = co_await counter_.send(Add{1});
        if (s != TellStatus::kQueued) refused_tell();
      } else {
        tell_or_throw(counter_, Add{1});
      }
    }
    stop();  // its work is done, like the peers' producers
  }

 private:
  ActorRef<Counter> counter_;
  std::int64_t count_;
  bool bounded_;
};

}  // namespace

Outcome run_fan_in(const Params& p) {
  const std::int64_t n = p.get("n");
  const std::int64_t producers = p.get("producers");
  ActorSystem system(actor_system_options(p));
  Completion<std::uint64_t> done;
  auto counter = system.spawn_with<Counter>(receiver_options(p), n, done.sender());
  std::vector<ActorRef<Producer>> senders;
  for (std::int64_t i = 0; i < producers; ++i) {
    const std::int64_t share = n / producers + (i < n % producers ? 1 : 0);
    senders.push_back(system.spawn<Producer>(counter, share, p.get("mailbox") > 0));
  }
  wait_ready(system, std::vector{counter});
  wait_ready(system, senders);

  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& s : senders) tell_or_throw(s, Produce{});
  const std::uint64_t sum = done.wait();
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;

  Outcome o;
  o.n = n;
  o.secs = secs.count();
  o.check = sum;
  o.expected = static_cast<std::uint64_t>(n);
  return o;
}

}  // namespace troupe::bench
