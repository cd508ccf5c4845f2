// gRPC's framing of the messages on a stream: a compressed flag byte, a
// 4-byte big-endian length, then the message. A peer's Frames arrive so;
// the remote-frame target reads its input as such a stream and the seed
// generator writes one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace troupe::fuzz {

struct GrpcMessage {
  bool compressed = false;
  std::string_view bytes;
};

/// Takes the next message off the front of `wire`; none when `wire` ends,
/// or ends inside a message (the peer went away mid-frame).
inline std::optional<GrpcMessage> take_message(std::string_view& wire) {
  if (wire.size() < 5) return std::nullopt;
  std::size_t length = 0;
  for (int i = 1; i <= 4; ++i) length = (length << 8) | static_cast<std::uint8_t>(wire[i]);
  if (wire.size() - 5 < length) return std::nullopt;
  GrpcMessage m{wire[0] != 0, wire.substr(5, length)};
  wire.remove_prefix(5 + length);
  return m;
}

/// Appends `bytes` to `wire` as one uncompressed message.
inline void put_message(std::string& wire, std::string_view bytes) {
  wire.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8)
    wire.push_back(static_cast<char>((bytes.size() >> shift) & 0xff));
  wire.append(bytes);
}

}  // namespace troupe::fuzz
