// The TCP transport's framing (FrameReader), fed bytes cut anywhere.
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/remote/detail/frame_reader.hpp>

namespace {

using troupe::remote::detail::encode_frame;
using troupe::remote::detail::FrameReader;
namespace v1 = troupe::v1;

v1::Frame hello(const std::string& name) {
  v1::Frame f;
  f.mutable_hello()->set_node(name);
  f.mutable_hello()->set_nonce(std::string(32, 'n'));
  return f;
}

std::string bytes_of(const v1::Frame& f) {
  std::string out;
  encode_frame(f, out);
  return out;
}

// Feeds `wire` in pieces of `piece` bytes; the frames that came out, and
// the last outcome.
std::vector<v1::Frame> read_all(FrameReader& r, const std::string& wire, std::size_t piece,
                                FrameReader::Taken& last) {
  std::vector<v1::Frame> frames;
  std::size_t at = 0;
  for (;;) {
    v1::Frame f;
    last = r.take(f);
    if (last == FrameReader::Taken::kFrame) {
      frames.push_back(f);
      continue;
    }
    if (last != FrameReader::Taken::kNeedMore || at == wire.size()) return frames;
    const auto space = r.space();
    const std::size_t n = std::min({piece, space.size(), wire.size() - at});
    std::memcpy(space.data(), wire.data() + at, n);
    r.commit(n);
    at += n;
  }
}

TEST(FrameReader, FramesCutAtEveryByteComeOutWholeAndPingsAreSkipped) {
  v1::Frame big;
  big.set_batch(std::string(200'000, 'b'));  // longer than one read's chunk
  big.set_mac(std::string(16, 'm'));
  const std::string ping(4, '\0');
  const std::string wire =
      bytes_of(hello("a")) + ping + bytes_of(big) + ping + ping + bytes_of(hello("c"));
  for (const std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{4096}, wire.size()}) {
    FrameReader r(1 << 20);
    FrameReader::Taken last{};
    const auto frames = read_all(r, wire, piece, last);
    ASSERT_EQ(frames.size(), 3u) << "pieces of " << piece;
    EXPECT_EQ(frames[0].hello().node(), "a");
    EXPECT_EQ(frames[1].batch(), big.batch());
    EXPECT_EQ(frames[2].hello().node(), "c");
    EXPECT_EQ(last, FrameReader::Taken::kNeedMore);
  }
}

TEST(FrameReader, ALengthPastTheLimitIsRefusedBeforeItsBytesAndTheLimitCanRise) {
  v1::Frame big;
  big.set_batch(std::string(10'000, 'b'));
  const std::string wire = bytes_of(hello("a")) + bytes_of(big);
  FrameReader r(4096);  // as before a handshake
  FrameReader::Taken last{};
  auto frames = read_all(r, wire.substr(0, bytes_of(hello("a")).size() + 4), 1, last);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(last, FrameReader::Taken::kTooLong) << "known from the length alone";
  EXPECT_LE(r.space().size() + 4, std::size_t{64 * 1024 + 4096 + 8})
      << "no room made for a frame past the limit";

  FrameReader lifted(4096);
  frames = read_all(lifted, bytes_of(hello("a")), 7, last);
  ASSERT_EQ(frames.size(), 1u);
  lifted.set_limit(1 << 20);  // the handshake is done
  frames = read_all(lifted, bytes_of(big), 7, last);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].batch(), big.batch());
}

TEST(FrameReader, BytesThatDoNotParseAreUndecodable) {
  std::string wire(4, '\0');
  wire[0] = 3;
  wire += "\xff\xff\xff";  // a tag with no end
  FrameReader r(4096);
  FrameReader::Taken last{};
  EXPECT_TRUE(read_all(r, wire, 2, last).empty());
  EXPECT_EQ(last, FrameReader::Taken::kUndecodable);
}

}  // namespace
