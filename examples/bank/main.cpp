// Protobuf messages to an actor, two ways: typed (the generated classes
// are the messages, moved, never serialized) and by envelope (type name +
// bytes, decoded by the actor's dispatch table, as they would arrive from
// a network).
//
//   build/release/examples/bank/troupe-bank
#include <chrono>
#include <cstdio>

#include <troupe/actor/actor_system.hpp>
#include <troupe/proto/any_ref.hpp>
#include <troupe/proto/codec.hpp>

#include "account.hpp"

namespace {

using namespace std::chrono_literals;

bank::Deposit deposit(std::int64_t cents) {
  bank::Deposit d;
  d.set_cents(cents);
  return d;
}

troupe::Task<void> typed(troupe::ActorRef<bank::Account> account) {
  account.tell(deposit(10'000));
  bank::Withdraw w;
  w.set_cents(2'500);
  auto r = co_await account.ask(w, 1s);
  const bank::WithdrawResult& result = r.value();  // throws if there is no reply
  std::printf("typed:    withdraw 25.00 -> %s, balance %.2f\n", result.ok() ? "ok" : "refused",
              result.balance_cents() / 100.0);
}

troupe::Task<void> by_envelope(troupe::proto::AnyRef account) {
  // What a peer would send: bytes with a type name.
  const std::string wire = troupe::proto::encode(deposit(500)).SerializeAsString();
  auto envelope = troupe::proto::decode_envelope(wire);
  account.tell(envelope.value());

  auto reply = co_await account.ask(troupe::proto::encode(bank::GetBalance{}), 1s);
  auto balance = troupe::proto::decode<bank::Balance>(reply.value());
  std::printf("envelope: balance %.2f\n", balance.value().cents() / 100.0);

  troupe::v1::Envelope junk;
  junk.set_type_name("bank.Deposit");
  junk.set_payload("\x08");  // truncated: never reaches the actor
  auto refused = account.tell(junk);
  std::printf("envelope: junk refused (%s)\n", troupe::proto::to_string(*refused.error));
}

}  // namespace

int main() {
  troupe::ActorSystem system;
  auto account = system.spawn<bank::Account>();
  system.block_on(typed(account));
  system.block_on(by_envelope(troupe::proto::AnyRef(account)));
  std::printf("dead letters: %llu\n", static_cast<unsigned long long>(system.dead_letters()));
}
