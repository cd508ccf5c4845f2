#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/task.hpp>

namespace chat::loadgen {

/// What to run. A plain value.
struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6667;
  /// Client connections, spread over `rooms` channels (client i joins
  /// room i % rooms).
  std::size_t clients = 100;
  std::size_t rooms = 10;
  /// PRIVMSGs each client sends to its room.
  std::size_t messages = 100;
  /// All clients together, messages per second; 0 means as fast as the
  /// window allows.
  double rate = 0;
  /// Messages a client may have in flight (sent, not yet seen by all of its
  /// room): the flow control of the "as fast as possible" mode. 0: none.
  std::size_t window = 32;
  /// Bytes of filler in each message, after its sequence data.
  std::size_t payload = 32;
  /// Nicks are <prefix><i>, channels #<prefix><r>: two runs against one
  /// server must use different prefixes.
  std::string prefix = "lg";
  /// Connections being set up at once.
  std::size_t connect_parallelism = 64;
  /// Give up when nothing arrives for this long.
  troupe::Duration idle_timeout = std::chrono::seconds(10);
};

/// What a run measured. A plain value.
struct Report {
  std::size_t clients = 0;
  std::uint64_t sent = 0;
  std::uint64_t expected = 0;    // deliveries: each message times its room's other members
  std::uint64_t delivered = 0;   // every PRIVMSG of the run received, good or bad
  std::uint64_t in_order = 0;    // the one expected next from its sender
  std::uint64_t duplicated = 0;  // a sequence number seen before (or older)
  std::uint64_t reordered = 0;   // a sequence number ahead of the expected one
  std::uint64_t missing = 0;     // expected, never received in order
  std::uint64_t unexpected = 0;  // from someone outside the receiver's room
  double seconds = 0;            // from the start signal to the last delivery
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  /// Why the run could not be made (connection or registration failure, a
  /// client disconnected); empty otherwise.
  std::string error;

  /// Every message reached every member of its room exactly once, in order.
  bool ok() const noexcept {
    return error.empty() && duplicated == 0 && reordered == 0 && missing == 0 && unexpected == 0 &&
           in_order == expected;
  }
  double deliveries_per_second() const noexcept { return seconds > 0 ? delivered / seconds : 0; }
  double sent_per_second() const noexcept { return seconds > 0 ? sent / seconds : 0; }
};

/// Runs the load against an IRC server, on the runtime of the calling
/// task: connects and registers every client, joins them to their rooms,
/// starts them all at once, checks each delivery (sender, sequence number,
/// send time are in the text) and quits them.
troupe::Task<Report> run(Options options);

/// A multi-line human summary of `r`.
std::string describe(const Options& options, const Report& r);

}  // namespace chat::loadgen
