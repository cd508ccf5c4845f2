// What a fuzz target expects of any input, stated as checks: a broken one
// must end the run like a crash does, so that libFuzzer keeps the input.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace troupe::fuzz {

[[noreturn]] inline void broken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
  std::abort();
}

}  // namespace troupe::fuzz

/// Aborts with `what` (a sentence saying what should hold) unless `cond`.
#define FUZZ_CHECK(cond, what) \
  ((cond) ? static_cast<void>(0) : ::troupe::fuzz::broken(what, __FILE__, __LINE__))
