#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <troupe/v1/cluster.pb.h>

namespace troupe::remote::detail {

/// The framing of the node's own TCP transport, reading side: bytes in,
/// Frames out, each after its length (4 bytes, little-endian; a length of
/// 0 is a keepalive ping, skipped). No socket, so that a fuzzer and the
/// tests can feed it any bytes cut anywhere (TcpFrameStream reads into it).
///
/// Owned by one reader; not thread-safe.
class FrameReader {
 public:
  enum class Taken {
    kFrame,        // `frame` holds the next one
    kNeedMore,     // no whole frame yet: read more into space()
    kTooLong,      // a length past the limit: the stream is not to be read further
    kUndecodable,  // a frame that does not parse: likewise
  };

  explicit FrameReader(std::size_t limit);

  /// The largest frame accepted from now on.
  void set_limit(std::size_t limit) noexcept { limit_ = limit; }
  /// Where to read next: room for at least the rest of the frame at the
  /// front (the buffer grows for a long frame, up to the limit).
  std::span<char> space();
  /// `n` bytes were read into space().
  void commit(std::size_t n) noexcept { end_ += n; }
  /// The next whole frame, if there is one.
  Taken take(v1::Frame& frame);

 private:
  std::size_t limit_;
  std::vector<char> buffer_;  // [begin_, end_) not taken yet
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

/// `frame` after its length, as FrameReader reads it, into `out` (replaced).
void encode_frame(const v1::Frame& frame, std::string& out);

}  // namespace troupe::remote::detail
