#include <string>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/actor_system.hpp>
#include <troupe/channels/channel.hpp>
#include <troupe/proto/any_ref.hpp>
#include <troupe/proto/codec.hpp>
#include <troupe/remote/node.hpp>
#include <troupe/runtime/runtime.hpp>

#include "shop/order.pb.h"

troupe::Task<int> answer() { co_return 42; }

// Also needs the channels' dependency (moodycamel) found through TroupeConfig.
troupe::Task<int> through_a_channel() {
  auto [tx, rx] = troupe::channel::bounded<int>(1);
  // Bound first: g++ 12.2 miscompiles a co_await in an if condition.
  const auto sent = co_await tx.send(co_await answer());
  if (!sent.is_sent()) co_return 0;
  co_return (co_await rx.recv()).value_or(0);
}

// An actor taking the consumer's own protobuf message, by envelope.
struct Shop : troupe::Actor<Shop> {
  using messages = troupe::proto::Messages<shop::Order>;
  int items = 0;
  void handle(const shop::Order& o) { items += o.items(); }
};

troupe::Task<int> order(troupe::proto::AnyRef shop) {
  shop::Order o;
  o.set_items(2);
  auto reply = co_await shop.ask(troupe::proto::encode(o));
  co_return reply.has_value() ? 2 : 0;
}

// And the remote module (gRPC found through TroupeConfig): one node asks
// the other's Shop over loopback.
// Both nodes hold the same cluster secret (at least 32 bytes; a real
// deployment reads it from a file, as troupe-chat's --secret-file does).
int across_nodes(troupe::ActorSystem& system) {
  const std::string secret = "install-consumer-secret-0123456789abcdef";
  troupe::remote::Node a(system, {.listen = "127.0.0.1:0", .cluster_secret = secret});
  troupe::remote::Node b(system, {.listen = "127.0.0.1:0", .cluster_secret = secret});
  a.publish("shop", system.spawn<Shop>());
  return system.block_on([](troupe::remote::Node& b, std::string at) -> troupe::Task<int> {
    auto shop = co_await b.lookup<Shop>(at, "shop");
    if (!shop) co_return 0;
    shop::Order o;
    o.set_items(3);
    auto done = co_await shop->ask(o, std::chrono::seconds(5));
    co_return done ? 3 : 0;
  }(b, a.address()));
}

int main() {
  troupe::ActorSystem system({.workers = 1});
  if (system.block_on(through_a_channel()) != 42) return 1;
  if (system.block_on(order(troupe::proto::AnyRef(system.spawn<Shop>()))) != 2) return 1;
  return across_nodes(system) == 3 ? 0 : 1;
}
