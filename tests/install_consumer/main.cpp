#include <troupe/channels/channel.hpp>
#include <troupe/runtime/runtime.hpp>

troupe::Task<int> answer() { co_return 42; }

// Also needs the channels' dependency (moodycamel) found through TroupeConfig.
troupe::Task<int> through_a_channel() {
  auto [tx, rx] = troupe::channel::bounded<int>(1);
  if (!(co_await tx.send(co_await answer())).is_sent()) co_return 0;
  co_return (co_await rx.recv()).value_or(0);
}

int main() {
  troupe::Runtime rt({.workers = 1});
  return rt.block_on(through_a_channel()) == 42 ? 0 : 1;
}
