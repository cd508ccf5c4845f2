#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include <troupe/runtime/clock.hpp>

namespace troupe {

/// The simulation's pseudo-random generator: xoshiro256** seeded through
/// splitmix64, with its own mapping to ranges (never the standard
/// distributions, whose output differs between standard libraries), so a
/// seed gives the same numbers everywhere. A plain value: one owner, not
/// thread-safe.
class SimRandom {
 public:
  explicit SimRandom(std::uint64_t seed) noexcept {
    for (std::uint64_t& word : s_) word = splitmix64(seed);
  }

  /// The next 64 random bits.
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, n); n must be positive (std::invalid_argument).
  std::uint64_t below(std::uint64_t n) {
    if (n == 0) throw std::invalid_argument("troupe::SimRandom::below(0)");
    // Rejection: the values under 2^64 mod n would make the low ones likelier.
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
      const std::uint64_t r = next();
      if (r >= threshold) return r % n;
    }
  }
  /// Uniform in [lo, hi] (lo <= hi).
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    if (hi < lo) throw std::invalid_argument("troupe::SimRandom::between: hi < lo");
    const auto span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
    if (span == ~std::uint64_t{0}) return static_cast<std::int64_t>(next());
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + below(span + 1));
  }
  /// Uniform in [lo, hi] (lo <= hi), in whole ticks of the clock.
  Duration duration(Duration lo, Duration hi) { return Duration(between(lo.count(), hi.count())); }
  /// True with probability num / den (0 < den; num >= den is always true).
  bool chance(std::uint64_t num, std::uint64_t den) { return below(den) < num; }
  /// One of [0, n) as a size (n > 0).
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(below(n)); }

  /// The splitmix64 step: advances `state` and returns a well-mixed word.
  static std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace troupe
