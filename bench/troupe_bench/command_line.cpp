#include "command_line.hpp"

namespace troupe::bench {

CommandLine parse_command_line(int argc, char** argv) {
  if (argc < 2) throw UsageError("no case given");
  CommandLine cl;
  cl.case_name = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("bad argument '" + arg + "' (want key=value)");
    }
    cl.overrides.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
  }
  return cl;
}

}  // namespace troupe::bench
