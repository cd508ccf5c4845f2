// Micro-benchmarks of the channels (see bench/README.md): the cost of one
// send + receive with nobody waiting, and the throughput of one producer
// task feeding one consumer task, for the MPMC channel (moodycamel) and the
// ordered MPSC channel that actor mailboxes are made of.
#include <cstdint>
#include <stdexcept>

#include <benchmark/benchmark.h>

#include <troupe/channels/channel.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/runtime.hpp>

namespace {

// try_send then try_recv on one thread: the channel's own cost per item,
// with no task ever parking.
template <class Make>
void send_recv_uncontended(benchmark::State& state, Make make) {
  auto [tx, rx] = make();
  std::int64_t i = 0;
  for (auto _ : state) {
    if (!tx.try_send(i)) throw std::runtime_error("try_send refused");
    auto r = rx.try_recv();
    if (!r) throw std::runtime_error("try_recv found nothing");
    benchmark::DoNotOptimize(r.value());
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MpmcSendRecv(benchmark::State& state) {
  send_recv_uncontended(state, [] { return troupe::channel::bounded<std::int64_t>(1024); });
}
BENCHMARK(BM_MpmcSendRecv);

void BM_MpscSendRecv(benchmark::State& state) {
  send_recv_uncontended(state, [] { return troupe::channel::mpsc::unbounded<std::int64_t>(); });
}
BENCHMARK(BM_MpscSendRecv);

constexpr std::int64_t kItems = 100'000;

template <class Tx>
troupe::Task<void> produce(Tx tx, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    auto sent = co_await tx.send(i);
    if (!sent.is_sent()) throw std::runtime_error("send refused");
  }
}

template <class Rx>
troupe::Task<std::int64_t> consume(Rx rx) {
  std::int64_t sum = 0;
  while (auto v = co_await rx.recv()) sum += *v;
  co_return sum;
}

// One producer task and one consumer task, kItems items per iteration
// through a channel of capacity 1024 (workers = the argument): items/s,
// waits and wake-ups included.
template <class Make>
void producer_consumer(benchmark::State& state, Make make) {
  troupe::Runtime rt({.workers = static_cast<std::size_t>(state.range(0))});
  for (auto _ : state) {
    const std::int64_t sum = rt.block_on([](Make mk) -> troupe::Task<std::int64_t> {
      auto [tx, rx] = mk();
      auto consumer = troupe::spawn(consume(std::move(rx)));
      co_await troupe::spawn(produce(std::move(tx), kItems));
      co_return co_await consumer;
    }(make));
    if (sum != kItems * (kItems - 1) / 2) throw std::runtime_error("wrong sum");
  }
  state.SetItemsProcessed(state.iterations() * kItems);
}

void BM_MpmcProducerConsumer(benchmark::State& state) {
  producer_consumer(state, [] { return troupe::channel::bounded<std::int64_t>(1024); });
}
BENCHMARK(BM_MpmcProducerConsumer)->Arg(1)->Arg(2)->UseRealTime();

void BM_MpscProducerConsumer(benchmark::State& state) {
  producer_consumer(state, [] { return troupe::channel::mpsc::bounded<std::int64_t>(1024); });
}
BENCHMARK(BM_MpscProducerConsumer)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
