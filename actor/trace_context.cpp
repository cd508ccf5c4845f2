#include <algorithm>
#include <cstddef>
#include <new>
#include <random>

#include <troupe/actor/detail/current_trace.hpp>
#include <troupe/actor/trace_context.hpp>

namespace troupe {

namespace detail {

constinit thread_local const TraceContext* tls_trace = nullptr;

EnvelopeTrace* capture_trace() noexcept {
  try {
    return new EnvelopeTrace(*tls_trace);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

}  // namespace detail

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Random ids: a generator per thread, seeded once from the system's entropy.
std::uint64_t random_word() {
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return generator();
}

template <std::size_t N>
void fill_random(std::array<std::uint8_t, N>& id) {
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      std::uint64_t w = random_word();
      for (std::size_t j = i; j < i + 8 && j < N; ++j, w >>= 8)
        id[j] = static_cast<std::uint8_t>(w);
    }
  } while (std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; }));
}

template <std::size_t N>
std::string hex_of(const std::array<std::uint8_t, N>& id) {
  std::string out(2 * N, '0');
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = kHexDigits[id[i] >> 4];
    out[2 * i + 1] = kHexDigits[id[i] & 0xf];
  }
  return out;
}

// A lowercase hex digit's value; -1 for anything else (W3C: lowercase only).
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Reads 2 * N hex digits into `out`; false at the first that is not one.
template <std::size_t N>
bool parse_hex(std::string_view text, std::array<std::uint8_t, N>& out) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& id) noexcept {
  return std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

std::string to_hex(const TraceId& id) { return hex_of(id); }
std::string to_hex(const SpanId& id) { return hex_of(id); }

const char* to_string(TraceparentError e) noexcept {
  switch (e) {
    case TraceparentError::kLength:
      return "the length is not that of a traceparent (55 characters for version 00)";
    case TraceparentError::kFormat:
      return "the fields are not separated by dashes";
    case TraceparentError::kNotHex:
      return "a field has a character that is not a lowercase hex digit";
    case TraceparentError::kVersion:
      return "version ff is invalid";
    case TraceparentError::kZeroTraceId:
      return "the trace id is all zeros";
    case TraceparentError::kZeroSpanId:
      return "the parent id is all zeros";
  }
  return "?";
}

TraceContext TraceContext::start(bool sampled) {
  TraceId trace{};
  SpanId span{};
  fill_random(trace);
  fill_random(span);
  return TraceContext(trace, span, sampled ? kSampled : std::uint8_t{0});
}

TraceContext TraceContext::child() const {
  SpanId span{};
  fill_random(span);
  return TraceContext(trace_id_, span, flags_);
}

std::string TraceContext::to_traceparent() const {
  std::string out = "00-";
  out += hex_of(trace_id_);
  out += '-';
  out += hex_of(span_id_);
  out += '-';
  out += kHexDigits[flags_ >> 4];
  out += kHexDigits[flags_ & 0xf];
  return out;
}

// version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2.
Expected<TraceContext, TraceparentError> parse_traceparent(std::string_view text) noexcept {
  constexpr std::size_t kLength = 55;
  if (text.size() < kLength) return unexpected(TraceparentError::kLength);
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') {
    return unexpected(TraceparentError::kFormat);
  }
  std::array<std::uint8_t, 1> version{};
  if (!parse_hex(text.substr(0, 2), version)) return unexpected(TraceparentError::kNotHex);
  if (version[0] == 0xff) return unexpected(TraceparentError::kVersion);
  // Version 00 is exactly 55 characters; a later version may append
  // fields after a dash, which this reader skips.
  if (version[0] == 0 ? text.size() != kLength : (text.size() > kLength && text[kLength] != '-')) {
    return unexpected(TraceparentError::kLength);
  }
  TraceId trace{};
  SpanId span{};
  std::array<std::uint8_t, 1> flags{};
  if (!parse_hex(text.substr(3, 32), trace) || !parse_hex(text.substr(36, 16), span) ||
      !parse_hex(text.substr(53, 2), flags)) {
    return unexpected(TraceparentError::kNotHex);
  }
  if (all_zero(trace)) return unexpected(TraceparentError::kZeroTraceId);
  if (all_zero(span)) return unexpected(TraceparentError::kZeroSpanId);
  return TraceContext(trace, span, flags[0]);
}

std::optional<TraceContext> current_trace() noexcept {
  if (const TraceContext* t = detail::tls_trace) return *t;
  return std::nullopt;
}

}  // namespace troupe
