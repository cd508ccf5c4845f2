#include "cases/activation_log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include <fcntl.h>
#include <unistd.h>

namespace troupe::bench {

namespace {

constexpr std::int64_t kOpen = std::numeric_limits<std::int64_t>::max();

// One activation: on which node (1-based), from when to when.
struct Interval {
  std::size_t node;
  std::int64_t from;
  std::int64_t to;  // kOpen: still active at the end
};

std::string describe(const Interval& i) {
  const auto to = i.to == kOpen ? std::string("end of run") : std::to_string(i.to);
  return "node " + std::to_string(i.node) + " [" + std::to_string(i.from) + ", " + to + ")";
}

}  // namespace

std::int64_t realtime_us() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

ActivationLog::ActivationLog(const std::string& path)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600)) {
  if (fd_ < 0) {
    throw std::runtime_error("cannot create the activation log " + path + ": " +
                             std::strerror(errno));
  }
}

ActivationLog::~ActivationLog() { ::close(fd_); }

void ActivationLog::write_line(char what, const std::string& identity) const noexcept {
  char line[256];
  const int len = std::snprintf(line, sizeof line, "%c %s %lld\n", what, identity.c_str(),
                                static_cast<long long>(realtime_us()));
  if (len <= 0 || static_cast<std::size_t>(len) >= sizeof line) return;
  // One write per line: O_APPEND keeps the lines of concurrent writers whole.
  (void)!::write(fd_, line, static_cast<std::size_t>(len));
}

std::optional<std::string> find_double_activation(
    const std::vector<std::string>& logs, const std::vector<std::optional<std::int64_t>>& died_us,
    std::size_t* activations) {
  // Every activation, by identity, from every node's log.
  std::unordered_map<std::string, std::vector<Interval>> by_identity;
  std::size_t count = 0;
  for (std::size_t k = 1; k <= logs.size(); ++k) {
    std::ifstream in(logs[k - 1]);
    if (!in) throw std::runtime_error("cannot read the activation log " + logs[k - 1]);
    std::unordered_map<std::string, std::size_t> open;  // identity -> its interval's index
    char what = 0;
    std::string identity;
    std::int64_t us = 0;
    while (in >> what >> identity >> us) {
      auto& intervals = by_identity[identity];
      if (what == 'S') {
        open[identity] = intervals.size();
        intervals.push_back({k, us, kOpen});
        ++count;
      } else if (auto it = open.find(identity); it != open.end()) {
        intervals[it->second].to = us;
        open.erase(it);
      }
    }
    // What a killed node never stopped ended when it died.
    const std::optional<std::int64_t> died = k <= died_us.size() ? died_us[k - 1] : std::nullopt;
    if (died) {
      for (const auto& [id, index] : open) by_identity[id][index].to = *died;
    }
  }
  if (activations != nullptr) *activations = count;
  for (const auto& [identity, intervals] : by_identity) {
    for (std::size_t a = 0; a < intervals.size(); ++a) {
      for (std::size_t b = a + 1; b < intervals.size(); ++b) {
        const Interval& x = intervals[a];
        const Interval& y = intervals[b];
        if (x.node != y.node && x.from < y.to && y.from < x.to) {
          return "identity " + identity + " was active on two nodes at once: " + describe(x) +
                 " and " + describe(y) + " (CLOCK_REALTIME microseconds)";
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace troupe::bench
