#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <troupe/runtime/expected.hpp>

namespace troupe::proto {

/// Why bytes could not become a message. Every case is an error value,
/// never a crash: the bytes may come from anywhere.
enum class DecodeError {
  kUnknownType,   // no handler for this type name (or no such type)
  kTypeMismatch,  // the envelope holds another type than the one asked for
  kTooLarge,      // over DecodeLimits::max_bytes
  kTooDeep,       // nested deeper than DecodeLimits::max_depth
  kMalformed,     // not a valid encoding of the type
};

/// "unknown type", "type mismatch", "too large", "too deep", "malformed".
const char* to_string(DecodeError e) noexcept;

/// Bounds on what a decode accepts (defaults: 4 MiB, 64 levels of nesting).
struct DecodeLimits {
  std::size_t max_bytes = std::size_t{4} << 20;
  int max_depth = 64;
};

/// The error of a DecodeResult: what went wrong, and a sentence for logs
/// naming the type involved. A plain value.
struct DecodeFailure {
  DecodeError code = DecodeError::kMalformed;
  std::string detail;
};

/// Thrown by DecodeResult::value() when there is no message.
class DecodeFailed : public std::runtime_error {
 public:
  explicit DecodeFailed(const DecodeFailure& f)
      : std::runtime_error(std::string("troupe: decode failed: ") + to_string(f.code) + ": " +
                           f.detail),
        error_(f.code) {}
  DecodeError error() const noexcept { return error_; }

 private:
  DecodeError error_;
};

}  // namespace troupe::proto

namespace troupe {
/// DecodeResult's value() without a message throws proto::DecodeFailed.
template <>
struct ErrorTraits<proto::DecodeFailure> {
  [[noreturn]] static void raise(const proto::DecodeFailure& f) { throw proto::DecodeFailed(f); }
};
}  // namespace troupe

namespace troupe::proto {

/// A decoded message, or why there is none: an Expected<T,
/// DecodeFailure>, with error() the DecodeError and detail() the sentence.
/// value() is checked (throws DecodeFailed), `*r` and `r->` are not. A
/// plain value, owned by whoever decoded.
template <class T>
class [[nodiscard]] DecodeResult : public Expected<T, DecodeFailure> {
  using Base = Expected<T, DecodeFailure>;

 public:
  explicit DecodeResult(T value) : Base(std::in_place, std::move(value)) {}
  DecodeResult(DecodeError e, std::string detail)
      : Base(unexpect, DecodeFailure{e, std::move(detail)}) {}

  /// What went wrong. Precondition: !has_value().
  DecodeError error() const noexcept { return failure().code; }
  /// A sentence for logs: the error and the type name involved.
  /// Precondition: !has_value().
  const std::string& detail() const noexcept { return failure().detail; }
  /// Both. Precondition: !has_value().
  const DecodeFailure& failure() const noexcept { return Base::error(); }
};

}  // namespace troupe::proto
