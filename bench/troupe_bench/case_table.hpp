#pragma once

#include <string_view>
#include <vector>

#include "params.hpp"
#include "result_line.hpp"

namespace troupe::bench {

/// Runs a case once with its resolved parameters. Builds its own Runtime
/// (see runtime_options), so that a case may also bring up more (an actor
/// system) around it.
using RunCase = Outcome (*)(const Params&);

/// One workload of the spec: its name, the keys it takes with their
/// defaults (`workers` included), and how to run it; run is nullptr while
/// the case is not implemented yet.
struct CaseInfo {
  std::string_view name;
  std::vector<KeySpec> keys;
  RunCase run;
};

/// Every case of the spec, in the spec's order.
const std::vector<CaseInfo>& case_table();

/// The case called `name`, or nullptr.
const CaseInfo* find_case(std::string_view name);

}  // namespace troupe::bench
