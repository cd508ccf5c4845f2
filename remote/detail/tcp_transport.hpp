#pragma once

#include <memory>
#include <string>

#include <troupe/channels/mpsc.hpp>
#include <troupe/remote/detail/connection.hpp>
#include <troupe/runtime/io_result.hpp>
#include <troupe/runtime/socket_address.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/tcp_listener.hpp>

namespace troupe::remote::detail {

class NodeCore;

// The node's own TCP transport (NodeOptions::Transport::kTcp): how its
// connections are accepted and dialed. What runs on them is the same
// Connection as on gRPC, on a TcpFrameStream.

/// "host:port" as an address to dial or bind: a numeric IP as is, a host
/// name through the system's resolver (the first address it gives).
IoResult<SocketAddress> resolve_address(const std::string& address);

/// Accepts peers on `listener` until cancelled: each is an accepting
/// Connection, run in a task of its own on the node's runtime.
Task<void> accept_tcp(std::shared_ptr<NodeCore> node, TcpListener listener);

/// Dials `address` for `connection` (claimed for its peer by the dialer)
/// and runs it: the outcome, as Connection::run gives it. A connection
/// that cannot be made (refused, no answer within the handshake timeout)
/// ends as UNAVAILABLE; `stop` closed ends the attempt too.
Task<Connection::Outcome> dial_tcp(std::shared_ptr<NodeCore> node,
                                   std::shared_ptr<Connection> connection, std::string address,
                                   MpscReceiver<bool>& stop);

}  // namespace troupe::remote::detail
