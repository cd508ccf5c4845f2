// Ping-pong, two ways: a task that asks an actor (request/reply), and two
// actors that rally by tell, the task waiting for the end of the rally on
// a channel.
//
//   build/release/examples/ping_pong/troupe-ping-pong [rounds]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/task.hpp>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Ping {
  std::int64_t n;
};
struct Pong {
  std::int64_t n;
};

// Answers every Ping with a Pong: as an ask's reply (the return value)...
struct Ponger : troupe::Actor<Ponger> {
  Pong handle(const Ping& p) { return Pong{p.n}; }
};

troupe::Task<void> ask_rounds(troupe::ActorRef<Ponger> ponger, std::int64_t rounds) {
  const auto t0 = Clock::now();
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < rounds; ++i) {
    auto pong = co_await ponger.ask(Ping{i}, 1s);  // a timeout: never wait forever
    if (!pong) {
      std::printf("ask %lld failed: %s\n", static_cast<long long>(i),
                  troupe::to_string(pong.error()));
      co_return;
    }
    sum += pong->n;
  }
  const std::chrono::duration<double> secs = Clock::now() - t0;
  std::printf("ask:  %lld round trips in %.3f s (%.0f ns each), checksum %lld\n",
              static_cast<long long>(rounds), secs.count(), secs.count() * 1e9 / rounds,
              static_cast<long long>(sum));
}

// ...or between two actors by tell, each holding the other's ref.
struct Player;
struct Hit {
  std::int64_t n;
  troupe::ActorRef<Player> from;
};

struct Player : troupe::Actor<Player> {
  Player(std::int64_t rounds, troupe::MpscSender<std::int64_t> done)
      : rounds(rounds), done(std::move(done)) {}
  void handle(const Hit& h) {
    if (h.n == rounds) {
      (void)done.try_send(h.n);  // the rally is over: tell whoever waits
      return;
    }
    h.from.tell(Hit{h.n + 1, self()});
  }
  std::int64_t rounds;
  troupe::MpscSender<std::int64_t> done;
};

troupe::Task<void> rally(troupe::ActorSystem& system, std::int64_t rounds) {
  auto [done_tx, done_rx] = troupe::channel::mpsc::bounded<std::int64_t>(1);
  auto a = system.spawn<Player>(rounds, done_tx);
  auto b = system.spawn<Player>(rounds, done_tx);
  const auto t0 = Clock::now();
  b.tell(Hit{0, a});  // b hits back to a, a to b, ...
  auto hits = co_await done_rx.recv();
  const std::chrono::duration<double> secs = Clock::now() - t0;
  std::printf("tell: %lld hits in %.3f s (%.0f ns each)\n", static_cast<long long>(*hits),
              secs.count(), secs.count() * 1e9 / rounds);
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t rounds = argc > 1 ? std::atoll(argv[1]) : 100'000;
  if (rounds <= 0) {
    std::fprintf(stderr, "usage: %s [rounds > 0]\n", argv[0]);
    return 2;
  }
  troupe::ActorSystem system;
  system.block_on(ask_rounds(system.spawn<Ponger>(), rounds));
  system.block_on(rally(system, rounds));
}
