// channel_mpmc: plain channels, no actors. `producers` tasks send the
// integers 0..n-1 (contiguous shares) into one bounded channel of
// `capacity`; `consumers` tasks receive until it is closed and drained.
// check = the sum of everything received = n*(n-1)/2.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <troupe/channels/channel.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/spawn.hpp>

#include "cases/cases.hpp"

namespace troupe::bench {

namespace {

using Item = std::int64_t;

// The start gate is a channel nobody sends on: closing it wakes every task
// parked in recv at once, which keeps task start-up out of the clock.
using Gate = Receiver<char>;

Task<void> produce(Sender<Item> tx, Gate start, Item first, Item end) {
  (void)co_await start.recv();
  for (Item v = first; v < end; ++v) {
    // Bound first: g++ 12.2 miscompiles a co_await in an if condition.
    const bool sent = static_cast<bool>(co_await tx.send(v));
    if (!sent) throw std::runtime_error("channel_mpmc: the channel closed early");
  }
  // Returning destroys the frame and with it `tx`: the last producer to
  // finish drops the last Sender, which closes the channel.
}

Task<std::uint64_t> consume(Receiver<Item> rx) {
  std::uint64_t sum = 0;
  while (auto v = co_await rx.recv()) sum += static_cast<std::uint64_t>(*v);
  co_return sum;
}

Task<Outcome> drive(std::int64_t n, std::int64_t producers, std::size_t consumers,
                    std::size_t capacity) {
  auto [tx, rx] = channel::bounded<Item>(capacity);
  auto [open_gate, gate] = channel::bounded<char>(1);

  std::vector<JoinHandle<std::uint64_t>> consuming;
  for (std::size_t i = 0; i < consumers; ++i) consuming.push_back(spawn(consume(rx)));
  std::vector<JoinHandle<void>> producing;
  const Item share = n / producers;
  const Item extra = n % producers;  // the first `extra` producers send one more
  Item first = 0;
  for (Item i = 0; i < producers; ++i) {
    const Item end = first + share + (i < extra ? 1 : 0);
    producing.push_back(spawn(produce(tx, gate, first, end)));
    first = end;
  }
  tx = {};  // only the producers hold Senders now

  const auto t0 = std::chrono::steady_clock::now();
  open_gate.close();
  std::uint64_t sum = 0;
  for (auto& c : consuming) sum += co_await c;
  const std::chrono::duration<double> secs = std::chrono::steady_clock::now() - t0;
  for (auto& p : producing) co_await p;  // rethrows a producer's failure

  Outcome o;
  o.n = n;
  o.secs = secs.count();
  o.check = sum;
  o.expected = sum_below(n);
  co_return o;
}

}  // namespace

Outcome run_channel_mpmc(const Params& p) {
  Runtime rt(runtime_options(p));
  return rt.block_on(
      drive(p.get("n"), p.get("producers"), p.get_size("consumers"), p.get_size("capacity")));
}

}  // namespace troupe::bench
