#include "peak_rss.hpp"

#include <fstream>
#include <string>

#include <sys/resource.h>

namespace troupe::bench {

long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      try {
        return std::stol(line.substr(6));  // "VmHWM:   1234 kB"
      } catch (...) {
        break;
      }
    }
  }
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  return ru.ru_maxrss;  // KiB on Linux
}

}  // namespace troupe::bench
