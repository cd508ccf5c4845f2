#pragma once

#include <cstdint>

#include <troupe/actor/actor.hpp>
#include <troupe/proto/messages.hpp>

#include "bank/bank.pb.h"

namespace bank {

/// A bank account as an actor whose messages are protobuf types: reachable
/// by typed ref (tell/ask with the generated classes) and, thanks to its
/// `messages` list, by envelope (type name + bytes) through an AnyRef.
/// Its balance is touched only by its own handlers: no lock.
struct Account : troupe::Actor<Account> {
  using messages = troupe::proto::Messages<Deposit, Withdraw, GetBalance>;

  std::int64_t cents = 0;

  void handle(const Deposit& d) { cents += d.cents(); }

  WithdrawResult handle(const Withdraw& w) {
    WithdrawResult r;
    r.set_ok(w.cents() <= cents);
    if (r.ok()) cents -= w.cents();
    r.set_balance_cents(cents);
    return r;
  }

  Balance handle(const GetBalance&) {
    Balance b;
    b.set_cents(cents);
    return b;
  }
};

}  // namespace bank
