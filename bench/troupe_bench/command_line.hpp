#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace troupe::bench {

/// A malformed command line (or parameter value): main prints the message
/// and the usage, and exits with status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `troupe-bench CASE [key=value ...]`, split but not yet checked against
/// the case: the overrides keep their order, so a repeated key's last value
/// wins, as in the peers.
struct CommandLine {
  std::string case_name;
  std::vector<std::pair<std::string, std::string>> overrides;
};

/// Splits argv. Throws UsageError if the case is missing or an argument is
/// not `key=value` with a non-empty key.
CommandLine parse_command_line(int argc, char** argv);

}  // namespace troupe::bench
