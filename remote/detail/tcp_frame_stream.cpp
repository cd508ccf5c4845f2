#include <cstdint>
#include <cstring>
#include <span>
#include <utility>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <troupe/remote/detail/tcp_frame_stream.hpp>

namespace troupe::remote::detail {

namespace {

constexpr std::size_t kLengthBytes = 4;
constexpr std::size_t kReadChunk = 64 * 1024;

void put_length(char* out, std::uint32_t n) noexcept {
  for (std::size_t i = 0; i < kLengthBytes; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
}

std::uint32_t get_length(const char* in) noexcept {
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < kLengthBytes; ++i)
    n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return n;
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
      in_(kReadChunk) {
  (void)socket_.set_nodelay(true);  // a frame goes out as soon as it is written
}

int TcpFrameStream::take_frame(v1::Frame& frame) {
  while (end_ - begin_ >= kLengthBytes) {
    const std::size_t n = get_length(in_.data() + begin_);
    if (n > frame_limit_) {
      ended_ = "a frame longer than the limit";
      return 0;
    }
    if (end_ - begin_ < kLengthBytes + n) return -1;
    const char* bytes = in_.data() + begin_ + kLengthBytes;
    begin_ += kLengthBytes + n;
    if (n == 0) continue;  // a keepalive ping
    if (!frame.ParseFromArray(bytes, static_cast<int>(n))) {
      ended_ = "an undecodable frame";
      return 0;
    }
    if (frame.has_refusal()) {
      refusal_ = grpc::Status(static_cast<grpc::StatusCode>(frame.refusal().code()),
                              frame.refusal().message());
      ended_ = "refused";
      return 0;
    }
    return 1;
  }
  return -1;
}

Task<bool> TcpFrameStream::read_frame(v1::Frame& frame) {
  for (;;) {
    if (const int taken = take_frame(frame); taken >= 0) co_return taken == 1;
    // Room for the rest of the frame at the front: move what is left of
    // the buffer there, and grow it for a frame longer than a chunk.
    if (begin_ > 0) {
      std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    std::size_t want = kReadChunk;
    if (end_ >= kLengthBytes) want = std::max(want, kLengthBytes + get_length(in_.data()));
    if (in_.size() < want) in_.resize(want);
    if (end_ == in_.size()) in_.resize(in_.size() * 2);
    const IoResult<std::size_t> n = co_await socket_.read(
        std::as_writable_bytes(std::span(in_.data() + end_, in_.size() - end_)));
    if (!n) {
      ended_ = n.error().message();
      co_return false;
    }
    if (*n == 0) {
      ended_ = "the peer closed the connection";
      co_return false;
    }
    end_ += *n;
    heard_.store(Clock::now().time_since_epoch().count(), kRelaxed);
  }
}

Task<bool> TcpFrameStream::write_frame(const v1::Frame& frame) {
  const std::size_t n = frame.ByteSizeLong();
  out_.resize(kLengthBytes + n);
  put_length(out_.data(), static_cast<std::uint32_t>(n));
  frame.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out_.data()) +
                                        kLengthBytes);
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
    std::string bytes(kLengthBytes + last.ByteSizeLong(), '\0');
    put_length(bytes.data(), static_cast<std::uint32_t>(bytes.size() - kLengthBytes));
    last.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(bytes.data()) +
                                         kLengthBytes);
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
