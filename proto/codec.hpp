#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <google/protobuf/message_lite.h>

#include <troupe/proto/decode_result.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/v1/envelope.pb.h>

namespace troupe::proto {

/// A protobuf-generated message type (what may cross a process boundary).
template <class T>
concept Message = std::is_base_of_v<google::protobuf::MessageLite, T>;

/// The full protobuf name of T ("bank.Deposit"): the key of dynamic dispatch.
template <Message T>
const std::string& type_name() {
  static const std::string name = T::default_instance().GetTypeName();
  return name;
}

/// The type names of a `messages` list, in its order.
template <class... Ts>
std::vector<std::string> type_names(Messages<Ts...>) {
  return {type_name<Ts>()...};
}

/// `m` as an envelope of `kind` (its type name and bytes). Throws
/// std::length_error for a message over 2 GiB (protobuf's own limit).
v1::Envelope encode(const google::protobuf::MessageLite& m,
                    v1::Envelope::Kind kind = v1::Envelope::TELL);

namespace detail {
/// Parses `bytes` into `out` within `limits`; std::nullopt-like success is
/// `has_value == true`. Shared by every decode<T>.
DecodeResult<bool> parse_into(std::string_view bytes, google::protobuf::MessageLite& out,
                              const DecodeLimits& limits);
}  // namespace detail

/// The message of type T in `e`, or why not: a type name other than T's,
/// a payload over the size limit, nesting deeper than allowed, or bytes
/// that do not parse. Fields unknown to T (from a newer sender) are kept
/// in T's unknown-field set, as protobuf specifies, and re-encoded with it.
template <Message T>
DecodeResult<T> decode(const v1::Envelope& e, const DecodeLimits& limits = {}) {
  if (e.type_name() != type_name<T>()) {
    return {DecodeError::kTypeMismatch,
            "expected " + type_name<T>() + ", got \"" + e.type_name() + "\""};
  }
  T out;
  auto parsed = detail::parse_into(e.payload(), out, limits);
  if (!parsed) return {parsed.error(), parsed.detail() + " (" + type_name<T>() + ")"};
  return DecodeResult<T>(std::move(out));
}

/// An Envelope from wire bytes, within `limits` (the payload inside is
/// decoded later, by type).
DecodeResult<v1::Envelope> decode_envelope(std::string_view bytes, const DecodeLimits& limits = {});

}  // namespace troupe::proto
