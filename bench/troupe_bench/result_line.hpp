#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace troupe::bench {

/// What one run of a case measured, and the checksum it should have had.
/// Checksums are computed modulo 2^64, so that no n overflows them.
struct Outcome {
  std::int64_t n = 0;  // work units (the spec's n)
  double secs = 0;     // the measured phase only
  std::uint64_t check = 0;
  std::uint64_t expected = 0;
  /// Set by a case that must read the peak RSS at a particular moment
  /// (idle_actors: while all actors are alive); otherwise main reads it
  /// after the case.
  std::optional<long> rss_kb;
  /// Set by a case whose run broke a rule of the spec other than the check
  /// (a cluster case: an identity active on two nodes at once): why. main
  /// prints the RESULT line, then this, and exits with status 1.
  std::optional<std::string> invalid;
  /// More `key=value` fields for the RESULT line, after rss_kb (a latency
  /// case's percentiles), NUL-terminated; empty for the spec's cases. A
  /// fixed array: a std::string here made fan_in measure 8 % slower, with
  /// no change to its hot loops (code placement), in 11 interleaved rounds.
  std::array<char, 160> extra{};
};

/// n*(n-1)/2, the sum of 0..n-1 (modulo 2^64): the check of several cases.
constexpr std::uint64_t sum_below(std::int64_t n) {
  const auto u = static_cast<std::uint64_t>(n);
  return u % 2 == 0 ? (u / 2) * (u - 1) : u * ((u - 1) / 2);
}

/// Prints the spec's line, formatted like the peers' (secs with 6
/// decimals, rate rounded to units/s):
/// `RESULT case=.. impl=troupe n=.. secs=.. rate=.. check=.. rss_kb=..`
void print_result_line(std::FILE* out, std::string_view case_name, const Outcome& o, long rss_kb);

}  // namespace troupe::bench
