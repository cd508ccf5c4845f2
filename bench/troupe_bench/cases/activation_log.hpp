#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// The activation logs of the cluster cases: the spec calls a run invalid
// if any identity was active on two nodes at once, judged from each
// system's own activation log. Each node writes one (the counters log as
// they start and stop); node 1 reads them all at the end of the run.
namespace troupe::bench {

/// CLOCK_REALTIME in microseconds: the one clock that every process's
/// activation log can be compared on.
std::int64_t realtime_us() noexcept;

/// A node's activation log: one line as each activation starts
/// (`S <identity> <realtime us>`) and one as it stops (`E ...`), each
/// written at once (write(2), O_APPEND), so that a node killed with
/// SIGKILL loses none of what happened before. Thread-safe.
class ActivationLog {
 public:
  /// Creates (or empties) the file at `path`.
  explicit ActivationLog(const std::string& path);
  ActivationLog(const ActivationLog&) = delete;
  ActivationLog& operator=(const ActivationLog&) = delete;
  ~ActivationLog();

  void started(const std::string& identity) const noexcept { write_line('S', identity); }
  void stopped(const std::string& identity) const noexcept { write_line('E', identity); }

 private:
  void write_line(char what, const std::string& identity) const noexcept;
  int fd_ = -1;
};

/// Reads the activation logs of nodes 1..N (`logs[k - 1]`): nothing if no
/// identity was active on two nodes at once, else which and when. An
/// activation still open at the end of its log ended when its node died
/// (`died_us[k - 1]`, realtime_us after it was reaped) if it was killed,
/// else it is taken as active to the end. `activations` (if given) counts
/// the activations logged.
std::optional<std::string> find_double_activation(
    const std::vector<std::string>& logs, const std::vector<std::optional<std::int64_t>>& died_us,
    std::size_t* activations = nullptr);

}  // namespace troupe::bench
