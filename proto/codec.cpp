#include <limits>
#include <stdexcept>

#include <google/protobuf/io/coded_stream.h>

#include <troupe/proto/codec.hpp>

namespace troupe::proto {

const char* to_string(DecodeError e) noexcept {
  switch (e) {
    case DecodeError::kUnknownType:
      return "unknown type";
    case DecodeError::kTypeMismatch:
      return "type mismatch";
    case DecodeError::kTooLarge:
      return "too large";
    case DecodeError::kTooDeep:
      return "too deep";
    case DecodeError::kMalformed:
      return "malformed";
  }
  return "unknown error";
}

v1::Envelope encode(const google::protobuf::MessageLite& m, v1::Envelope::Kind kind) {
  v1::Envelope e;
  e.set_kind(kind);
  e.set_type_name(m.GetTypeName());
  if (!m.SerializeToString(e.mutable_payload())) {
    throw std::length_error("troupe::proto::encode: " + m.GetTypeName() + " cannot be encoded");
  }
  return e;
}

namespace detail {

namespace {
bool parse(std::string_view bytes, google::protobuf::MessageLite& out, int depth) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetRecursionLimit(depth);
  return out.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}
}  // namespace

DecodeResult<bool> parse_into(std::string_view bytes, google::protobuf::MessageLite& out,
                              const DecodeLimits& limits) {
  if (bytes.size() > limits.max_bytes ||
      bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return {DecodeError::kTooLarge,
            std::to_string(bytes.size()) + " bytes, limit " + std::to_string(limits.max_bytes)};
  }
  if (parse(bytes, out, limits.max_depth)) return DecodeResult<bool>(true);
  // Tell "too deep" from "malformed" by parsing again with a larger, still
  // small, depth: an unbounded one would let hostile nesting overflow the
  // stack, which is what the limit is for.
  out.Clear();
  const bool deep_only = parse(bytes, out, limits.max_depth * 4 + 16);
  out.Clear();
  if (deep_only) {
    return {DecodeError::kTooDeep, "nested deeper than " + std::to_string(limits.max_depth)};
  }
  return {DecodeError::kMalformed, "not a valid encoding (or nested far too deep)"};
}

}  // namespace detail

DecodeResult<v1::Envelope> decode_envelope(std::string_view bytes, const DecodeLimits& limits) {
  v1::Envelope e;
  auto parsed = detail::parse_into(bytes, e, limits);
  if (!parsed) return {parsed.error(), parsed.detail() + " (troupe.v1.Envelope)"};
  return DecodeResult<v1::Envelope>(std::move(e));
}

}  // namespace troupe::proto
