// thread_ring: `actors` actors in a ring, each knowing the next by an
// ActorRef (wired by asks before the clock). The driver tells actor 0 a
// Token carrying n; every actor passes it on with the counter minus one, so
// one message is in flight at a time and every hop wakes a parked actor.
// The actor that gets the counter at 0 sends its id to the driver.
// check = that id: actor k sees n-k, so it is n % actors.
#include <chrono>
#include <cstdint>
#include <vector>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>

#include "cases/actor_support.hpp"
#include "cases/cases.hpp"

namespace troupe::bench {

namespace {

struct Token {
  std::int64_t counter;
};

class Member;

struct Next {
  ActorRef<Member> next;
};

class Member : public Actor<Member> {
 public:
  Member(std::int64_t id, Sender<std::uint64_t> done) : id_(id), done_(std::move(done)) {}

  bool handle(const Next& m) {
    next_ = m.next;
    return true;
  }
  void handle(const Token& t) {
    if (t.counter == 0) {
      complete(done_, static_cast<std::uint64_t>(id_));
    } else {
      tell_or_throw(next_, Token{t.counter - 1});
    }
  }

 private:
  std::int64_t id_;
  Sender<std::uint64_t> done_;
  ActorRef<Member> next_;
};

}  // namespace

Outcome run_thread_ring(const Params& p) {
  const std::int64_t n = p.get("n");
  const std::int64_t actors = p.get("actors");
  ActorSystem system(actor_system_options(p));
  Completion<std::uint64_t> done;
  std::vector<ActorRef<Member>> ring;
  ring.reserve(static_cast<std::size_t>(actors));
  for (std::int64_t i = 0; i < actors; ++i) ring.push_back(system.spawn<Member>(i, done.sender()));
  std::vector<Next> wiring;
  wiring.reserve(ring.size());
  for (std::size_t i = 0; i < ring.size(); ++i) wiring.push_back({ring[(i + 1) % ring.size()]});
  ask_all(system, ring, std::move(wiring));

  const auto t0 = std::chrono::steady_clock::now();
  tell_or_throw(ring[0], Token{n});
  const std::uint64_t id = done.wait();
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;

  Outcome o;
  o.n = n;
  o.secs = secs.count();
  o.check = id;
  o.expected = static_cast<std::uint64_t>(n % actors);
  return o;
}

}  // namespace troupe::bench
