#include <cstdint>
#include <span>
#include <utility>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <troupe/remote/detail/tcp_frame_stream.hpp>

namespace troupe::remote::detail {

namespace {

// A refusal's code as the peer wrote it: one of gRPC's, else UNKNOWN.
grpc::StatusCode status_code(std::int32_t code) noexcept {
  if (code < grpc::StatusCode::OK || code > grpc::StatusCode::UNAUTHENTICATED)
    return grpc::StatusCode::UNKNOWN;
  return static_cast<grpc::StatusCode>(code);
}

}  // namespace

TcpFrameStream::TcpFrameStream(std::shared_ptr<Connection> connection, Connection::Role role,
                               TcpStream socket, std::string peer_address,
                               std::size_t max_frame_bytes)
    : connection_(std::move(connection)),
      role_(role),
      socket_(std::move(socket)),
      address_(std::move(peer_address)),
      max_frame_bytes_(max_frame_bytes),
      heard_(Clock::now().time_since_epoch().count()),
      said_(Clock::now().time_since_epoch().count()),
      reader_(kHandshakeFrameBytes) {
  (void)socket_.set_nodelay(true);  // a frame goes out as soon as it is written
}

Task<bool> TcpFrameStream::read_frame(v1::Frame& frame) {
  for (;;) {
    switch (reader_.take(frame)) {
      case FrameReader::Taken::kFrame:
        if (!frame.has_refusal()) co_return true;
        refusal_ = grpc::Status(status_code(frame.refusal().code()), frame.refusal().message());
        ended_ = "refused";
        co_return false;
      case FrameReader::Taken::kTooLong:
        ended_ = "a frame longer than the limit";
        co_return false;
      case FrameReader::Taken::kUndecodable:
        ended_ = "an undecodable frame";
        co_return false;
      case FrameReader::Taken::kNeedMore:
        break;
    }
    const std::span<char> space = reader_.space();
    const IoResult<std::size_t> n = co_await socket_.read(std::as_writable_bytes(space));
    if (!n) {
      ended_ = n.error().message();
      co_return false;
    }
    if (*n == 0) {
      ended_ = "the peer closed the connection";
      co_return false;
    }
    reader_.commit(*n);
    heard_.store(Clock::now().time_since_epoch().count(), kRelaxed);
  }
}

Task<bool> TcpFrameStream::write_frame(const v1::Frame& frame) {
  encode_frame(frame, out_);
  auto written = co_await socket_.write_all(std::as_bytes(std::span(out_.data(), out_.size())));
  said_.store(Clock::now().time_since_epoch().count(), kRelaxed);
  co_return written.has_value();
}

// The socket's state, whatever is still unread: past a FIN the kernel
// says CLOSE_WAIT (or CLOSE after a reset), and a reset leaves SO_ERROR.
bool TcpFrameStream::peer_gone() const noexcept {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return true;
  if (info.tcpi_state == TCP_CLOSE_WAIT || info.tcpi_state == TCP_CLOSE) return true;
  int error = 0;
  len = sizeof error;
  return ::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &error, &len) != 0 ||
         error != 0;
}

void TcpFrameStream::cancel() { (void)socket_.shutdown(Shutdown::kBoth); }

void TcpFrameStream::finish(const grpc::Status& status) {
  if (role_ == Connection::Role::kAcceptor && !status.ok()) {
    // The refusal, as gRPC would end the call with it: one small frame,
    // sent without waiting (the socket's buffer has room for it, or the
    // dialer is not reading and will not miss it).
    v1::Frame last;
    last.mutable_refusal()->set_code(static_cast<std::int32_t>(status.error_code()));
    last.mutable_refusal()->set_message(status.error_message());
    std::string bytes;
    encode_frame(last, bytes);
    (void)::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  (void)socket_.shutdown(Shutdown::kBoth);
  grpc::Status outcome = status;
  if (role_ == Connection::Role::kDialer) {
    outcome = refusal_.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, ended_) : refusal_;
  }
  connection_->on_done(outcome);
}

}  // namespace troupe::remote::detail
