// ping_pong: two actors. A tells B Ping{i}, B tells A Pong{i}, and A tells
// the next Ping only once the Pong is in, so exactly one message is in
// flight: this measures the latency of a tell (envelope, mailbox push,
// waking the parked actor, dispatch), not throughput. Each one knows the
// other by an ActorRef (A gets B's at construction, B gets A's in a wiring
// ask before the clock). The driver starts A with one tell and waits for
// A's sum on a completion channel, so it stays out of the loop.
// check = the sum of the i that A got back = n*(n-1)/2.
#include <chrono>
#include <cstdint>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>

#include "cases/actor_support.hpp"
#include "cases/cases.hpp"

namespace troupe::bench {

namespace {

struct Ping {
  std::int64_t i;
};
struct Pong {
  std::int64_t i;
};
struct Start {};

class Pinger;

struct Wire {
  ActorRef<Pinger> pinger;
};

// B.
class Ponger : public Actor<Ponger> {
 public:
  bool handle(const Wire& w) {
    pinger_ = w.pinger;
    return true;
  }
  void handle(const Ping& m);  // below: it needs Pinger complete

 private:
  ActorRef<Pinger> pinger_;
};

// A.
class Pinger : public Actor<Pinger> {
 public:
  Pinger(ActorRef<Ponger> ponger, std::int64_t n, Sender<std::uint64_t> done)
      : ponger_(std::move(ponger)), n_(n), done_(std::move(done)) {}

  bool handle(const Ready&) { return true; }
  void handle(const Start&) {
    if (n_ == 0) {
      complete(done_, std::uint64_t{0});
      return;
    }
    next_ = 1;
    tell_or_throw(ponger_, Ping{0});
  }
  void handle(const Pong& m) {
    sum_ += static_cast<std::uint64_t>(m.i);
    if (next_ < n_) {
      tell_or_throw(ponger_, Ping{next_++});
    } else {
      complete(done_, sum_);
    }
  }

 private:
  ActorRef<Ponger> ponger_;
  std::int64_t n_;
  Sender<std::uint64_t> done_;
  std::int64_t next_ = 0;
  std::uint64_t sum_ = 0;
};

void Ponger::handle(const Ping& m) { tell_or_throw(pinger_, Pong{m.i}); }

}  // namespace

Outcome run_ping_pong(const Params& p) {
  const std::int64_t n = p.get("n");
  ActorSystem system(actor_system_options(p));
  Completion<std::uint64_t> done;
  auto b = system.spawn<Ponger>();
  auto a = system.spawn<Pinger>(b, n, done.sender());
  ask_all(system, std::vector{b}, std::vector{Wire{a}});
  wait_ready(system, std::vector{a});

  const auto t0 = std::chrono::steady_clock::now();
  tell_or_throw(a, Start{});
  const std::uint64_t sum = done.wait();
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;

  Outcome o;
  o.n = n;
  o.secs = secs.count();
  o.check = sum;
  o.expected = sum_below(n);
  return o;
}

}  // namespace troupe::bench
