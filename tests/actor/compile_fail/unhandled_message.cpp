// Must not compile: Counter has no handler for Unknown. The build test
// checks that the error names the problem in plain words.
#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>

struct Add {};
struct Unknown {};

struct Counter : troupe::Actor<Counter> {
  void handle(const Add&) {}
};

void send(const troupe::ActorRef<Counter>& counter) { counter.tell(Unknown{}); }
