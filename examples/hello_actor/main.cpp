// Hello, actor: a class with handlers, a ref, tell and ask.
//
//   build/release/examples/hello_actor/troupe-hello-actor
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>

namespace {

using namespace std::chrono_literals;

// Messages are plain types: any movable C++ type will do.
struct Greet {
  std::string name;
};
struct HowMany {};

// An actor is a class with one `handle` per message type. Its state needs
// no lock: handlers run one message at a time.
struct Greeter : troupe::Actor<Greeter> {
  std::int64_t greeted = 0;

  void handle(const Greet& m) {  // tell: no reply
    std::printf("hello, %s\n", m.name.c_str());
    ++greeted;
  }
  std::int64_t handle(HowMany) { return greeted; }  // ask: the return value is the reply
};

troupe::Task<void> talk_to(troupe::ActorRef<Greeter> greeter) {
  greeter.tell(Greet{"world"});
  greeter.tell(Greet{"troupe"});
  // Messages from one sender arrive in order, so the ask sees both greets.
  auto count = co_await greeter.ask(HowMany{}, 1s);
  if (count) {
    std::printf("greeted %lld times\n", static_cast<long long>(*count));
  } else {
    std::printf("no answer: %s\n", troupe::to_string(count.error()));
  }
}

}  // namespace

int main() {
  troupe::ActorSystem system;  // owns the worker threads
  auto greeter = system.spawn<Greeter>();
  system.block_on(talk_to(greeter));
  // Destroying the system stops every actor and joins the threads.
}
