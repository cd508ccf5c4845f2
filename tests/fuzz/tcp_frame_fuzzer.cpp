// libFuzzer target: the framing of the node's own TCP transport
// (FrameReader), the first thing to read a stranger's bytes. The input is
// what a peer sends, its first byte the size of the pieces it arrives in.
// Read whole and read in pieces, it must give the same frames and the
// same end, under the limit a node sets (4 KiB until a first frame, as
// before a handshake, then 4 MiB); nothing may crash or read out of bounds.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <troupe/remote/detail/frame_reader.hpp>

#include "fuzz_check.hpp"

namespace {

using troupe::remote::detail::FrameReader;

constexpr std::size_t kBefore = 4096;
constexpr std::size_t kAfter = std::size_t{4} << 20;

struct Outcome {
  std::vector<std::string> frames;  // each re-serialized
  FrameReader::Taken end{};
};

Outcome read(const std::uint8_t* data, std::size_t size, std::size_t piece) {
  FrameReader r(kBefore);
  Outcome out;
  std::size_t at = 0;
  for (;;) {
    troupe::v1::Frame f;
    out.end = r.take(f);
    if (out.end == FrameReader::Taken::kFrame) {
      out.frames.push_back(f.SerializeAsString());
      r.set_limit(kAfter);  // as a node does once its handshake is done
      continue;
    }
    if (out.end != FrameReader::Taken::kNeedMore || at == size) return out;
    const auto space = r.space();
    FUZZ_CHECK(!space.empty(), "no room to read into");
    const std::size_t n = std::min({piece, space.size(), size - at});
    std::memcpy(space.data(), data + at, n);
    r.commit(n);
    at += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = std::max<std::size_t>(data[0], 1);
  const Outcome whole = read(data + 1, size - 1, size);
  const Outcome pieces = read(data + 1, size - 1, piece);
  FUZZ_CHECK(whole.frames == pieces.frames, "the frames depend on how the bytes arrived");
  FUZZ_CHECK(whole.end == pieces.end, "the end depends on how the bytes arrived");
  return 0;
}
