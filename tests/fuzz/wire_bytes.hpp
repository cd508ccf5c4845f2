// Protobuf's wire format written by hand, for the seeds the real encoders
// cannot make: truncated and overlong varints, lengths past the end,
// unknown fields of every wire type, nested groups, invalid UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace troupe::fuzz::wire {

enum Type : std::uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};

inline std::string varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

/// A field's tag; any wire type, valid or not (6 and 7 are not).
inline std::string tag(std::uint32_t field, std::uint32_t type) {
  return varint((std::uint64_t{field} << 3) | type);
}

inline std::string varint_field(std::uint32_t field, std::uint64_t v) {
  return tag(field, kVarint) + varint(v);
}

inline std::string len_field(std::uint32_t field, std::string_view bytes) {
  return tag(field, kLen) + varint(bytes.size()) + std::string(bytes);
}

inline std::string fixed_field(std::uint32_t field, std::uint32_t type, std::uint64_t v) {
  std::string out = tag(field, type);
  const int n = type == kFixed32 ? 4 : 8;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

/// `depth` groups of `field`, each inside the last.
inline std::string nested_groups(std::uint32_t field, int depth) {
  std::string out;
  for (int i = 0; i < depth; ++i) out += tag(field, kStartGroup);
  for (int i = 0; i < depth; ++i) out += tag(field, kEndGroup);
  return out;
}

/// An unknown field of every valid wire type, as a newer sender may add.
inline std::string every_wire_type(std::uint32_t first_field) {
  return varint_field(first_field, 300) + fixed_field(first_field + 1, kFixed64, ~0ull) +
         len_field(first_field + 2, "newer") + tag(first_field + 3, kStartGroup) +
         varint_field(1, 1) + tag(first_field + 3, kEndGroup) +
         fixed_field(first_field + 4, kFixed32, 0xdeadbeef);
}

}  // namespace troupe::fuzz::wire
