#include <utility>
#include <variant>

#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/sim/detail/sim_frame_stream.hpp>
#include <troupe/sim/sim_network.hpp>

namespace troupe::detail {

SimFrameStream::SimFrameStream(std::shared_ptr<SimNetwork> network, std::shared_ptr<SimWire> wire,
                               int side, std::shared_ptr<Connection> connection,
                               Connection::Role role)
    : network_(std::move(network)),
      wire_(std::move(wire)),
      side_(side),
      connection_(std::move(connection)),
      role_(role),
      heard_(network_->scheduler().now()),
      said_(heard_) {
  auto [tx, rx] = channel::mpsc::unbounded<bool>();
  cancel_tx_ = std::move(tx);
  cancel_rx_ = std::move(rx);
}

Task<std::optional<SimSegment>> SimFrameStream::arrive() {
  if (!next_) {
    auto r = co_await select(wire_->inbox_rx[side_].next(), cancel_rx_.next());
    if (r.index() == 1) co_return std::nullopt;
    std::optional<SimSegment>& got = std::get<0>(r);
    if (!got) co_return std::nullopt;
    next_ = std::move(*got);
  }
  const std::string& from = wire_->names[1 - side_];
  const std::string& to = wire_->names[side_];
  // Until its arrival time, and then for as long as a partition holds it
  // (sent again every `retransmit`, as TCP would).
  Instant at = next_->at;
  for (;;) {
    if (network_->scheduler().now() < at) {
      auto r = co_await select(sleep_until(at), cancel_rx_.next());
      if (r.index() == 1) co_return std::nullopt;
    }
    if (network_->reachable(from, to)) break;
    at = network_->scheduler().now() + network_->options().retransmit;
  }
  std::optional<SimSegment> arrived = std::move(next_);
  next_.reset();
  co_return arrived;
}

Task<bool> SimFrameStream::read_frame(v1::Frame& frame) {
  for (;;) {
    std::optional<SimSegment> segment = co_await arrive();
    if (!segment) co_return false;
    heard_ = network_->scheduler().now();
    const std::string route = wire_->names[1 - side_] + " -> " + wire_->names[side_];
    switch (segment->kind) {
      case SimSegment::Kind::kFin:
        network_->record(route + ": closed");
        ended_ = "the peer closed the connection";
        co_return false;
      case SimSegment::Kind::kReset:
        network_->record(route + ": reset");
        ended_ = "the connection was reset";
        co_return false;
      case SimSegment::Kind::kData:
        break;
    }
    // An empty frame is a keepalive ping, as on TCP: heard, not handed on.
    if (segment->bytes.empty()) {
      network_->record(route + ": ping");
      continue;
    }
    network_->record(route + ": " + std::to_string(segment->bytes.size()) + " bytes");
    if (!frame.ParseFromString(segment->bytes)) {
      ended_ = "an undecodable frame";
      co_return false;
    }
    if (frame.has_refusal()) {
      refusal_ = grpc::Status(static_cast<grpc::StatusCode>(frame.refusal().code()),
                              frame.refusal().message());
      ended_ = "refused";
      co_return false;
    }
    co_return true;
  }
}

Task<bool> SimFrameStream::write_frame(const v1::Frame& frame) {
  if (wire_->closed[side_]) co_return false;
  network_->send(*wire_, side_, SimSegment::Kind::kData, frame.SerializeAsString());
  said_ = network_->scheduler().now();
  co_return true;
}

void SimFrameStream::cancel() {
  cancel_tx_.close();
  network_->end(*wire_, side_, SimSegment::Kind::kFin);
}

void SimFrameStream::finish(const grpc::Status& status) {
  if (role_ == Connection::Role::kAcceptor && !status.ok() && !wire_->closed[side_]) {
    // The refusal as a last frame, as the TCP transport sends it.
    v1::Frame last;
    last.mutable_refusal()->set_code(static_cast<std::int32_t>(status.error_code()));
    last.mutable_refusal()->set_message(status.error_message());
    network_->send(*wire_, side_, SimSegment::Kind::kData, last.SerializeAsString());
  }
  cancel();
  grpc::Status outcome = status;
  if (role_ == Connection::Role::kDialer) {
    outcome = refusal_.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, ended_) : refusal_;
  }
  connection_->on_done(outcome);
}

}  // namespace troupe::detail
