#include <algorithm>
#include <cstdint>
#include <cstring>

#include <troupe/remote/detail/frame_reader.hpp>

namespace troupe::remote::detail {

namespace {

constexpr std::size_t kLengthBytes = 4;
constexpr std::size_t kChunk = 64 * 1024;  // what one read asks for, at least

std::uint32_t get_length(const char* in) noexcept {
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < kLengthBytes; ++i)
    n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return n;
}

}  // namespace

FrameReader::FrameReader(std::size_t limit) : limit_(limit) {}

std::span<char> FrameReader::space() {
  if (begin_ > 0) {  // what is left goes to the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  std::size_t want = end_ + kChunk;
  if (end_ >= kLengthBytes) {
    // The whole frame, when its length is known (and within the limit:
    // take() refuses it otherwise, before anyone reads more).
    want = std::max(want, kLengthBytes + std::min<std::size_t>(get_length(buffer_.data()), limit_));
  }
  if (buffer_.size() < want) buffer_.resize(want);
  return {buffer_.data() + end_, buffer_.size() - end_};
}

FrameReader::Taken FrameReader::take(v1::Frame& frame) {
  while (end_ - begin_ >= kLengthBytes) {
    const std::size_t n = get_length(buffer_.data() + begin_);
    if (n > limit_) return Taken::kTooLong;
    if (end_ - begin_ < kLengthBytes + n) return Taken::kNeedMore;
    const char* bytes = buffer_.data() + begin_ + kLengthBytes;
    begin_ += kLengthBytes + n;
    if (n == 0) continue;  // a keepalive ping
    if (!frame.ParseFromArray(bytes, static_cast<int>(n))) return Taken::kUndecodable;
    return Taken::kFrame;
  }
  return Taken::kNeedMore;
}

void encode_frame(const v1::Frame& frame, std::string& out) {
  const std::size_t n = frame.ByteSizeLong();
  out.resize(kLengthBytes + n);
  for (std::size_t i = 0; i < kLengthBytes; ++i)
    out[i] = static_cast<char>((static_cast<std::uint32_t>(n) >> (8 * i)) & 0xff);
  frame.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out.data()) + kLengthBytes);
}

}  // namespace troupe::remote::detail
