#pragma once

namespace troupe::proto {

/// The protobuf message types an actor accepts by name, for dynamic
/// dispatch (AnyRef, envelopes, later the network). An actor class lists
/// them next to its handlers:
///
///   struct Account : troupe::Actor<Account> {
///     using messages = troupe::proto::Messages<bank::Deposit, bank::Balance>;
///     void handle(const bank::Deposit&);
///     bank::Amount handle(const bank::Balance&);
///   };
///
/// Each listed type must have a handler (checked at compile time). C++ has
/// no way to enumerate a class's overloads, so the list is how the table
/// from type name to handler is built; no type ids are numbered by hand.
template <class... Ts>
struct Messages {};

}  // namespace troupe::proto
