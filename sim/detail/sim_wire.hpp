#pragma once

#include <array>
#include <string>
#include <utility>

#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/clock.hpp>

namespace troupe::detail {

/// What travels on a simulated connection, one direction: a frame's bytes,
/// or its end (the sender closed it; or reset it, as a crashed process's
/// kernel does), each arriving at a time the network drew.
struct SimSegment {
  enum class Kind { kData, kFin, kReset };
  Instant at{};
  Kind kind = Kind::kData;
  std::string bytes{};
};

/// One simulated TCP connection between two nodes: side 0 is the dialer's
/// end, side 1 the acceptor's. Each side has an inbox of segments in the
/// order they were sent (delivery times never go backwards within a
/// direction: a connection does not reorder). Shared by its two
/// SimFrameStreams and the SimNetwork (which resets it when a node
/// crashes); single-threaded, as the simulation.
struct SimWire {
  SimWire(std::string dialer, std::string acceptor)
      : names{std::move(dialer), std::move(acceptor)} {
    for (int side = 0; side < 2; ++side) {
      auto [tx, rx] = channel::mpsc::unbounded<SimSegment>();
      inbox_tx[side] = std::move(tx);
      inbox_rx[side] = std::move(rx);
    }
  }

  std::array<std::string, 2> names;  // the node at each end
  std::array<MpscSender<SimSegment>, 2> inbox_tx;
  std::array<MpscReceiver<SimSegment>, 2> inbox_rx;
  std::array<Instant, 2> last_arrival{};  // of the last segment sent to each side
  std::array<bool, 2> closed{};           // this side sent its end (FIN or reset)
};

}  // namespace troupe::detail
