#pragma once

#include <optional>
#include <string>
#include <utility>

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

/// A decoded message, or why there is none. A plain value.
template <class T>
class [[nodiscard]] DecodeResult {
 public:
  explicit DecodeResult(T value) : value_(std::move(value)) {}
  DecodeResult(DecodeError e, std::string detail) : error_(e), detail_(std::move(detail)) {}

  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & noexcept { return *value_; }
  T&& value() && noexcept { return std::move(*value_); }
  T& operator*() & noexcept { return *value_; }
  T* operator->() noexcept { return &*value_; }
  /// Only when `!has_value()`.
  DecodeError error() const noexcept { return error_; }
  /// A sentence for logs: the error and the type name involved.
  const std::string& detail() const noexcept { return detail_; }

 private:
  std::optional<T> value_;
  DecodeError error_ = DecodeError::kMalformed;
  std::string detail_;
};

}  // namespace troupe::proto
