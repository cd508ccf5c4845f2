#pragma once

// Finds a program the build put next to the running test executable.
//
// Tests that start other programs (a second node, an example binary) get
// the program's path relative to their own folder, not an absolute one: an
// absolute path in a compile definition would make every build in another
// folder miss the compiler cache.

#include <climits>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace troupe::test {

/// `relative` resolved against the folder of the running executable.
inline std::string sibling_binary(const std::string& relative) {
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  std::string path(self, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/') + 1) + relative;
}

}  // namespace troupe::test
