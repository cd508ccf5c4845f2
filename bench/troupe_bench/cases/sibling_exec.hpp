#pragma once

#include <string_view>
#include <vector>

#include "params.hpp"

namespace troupe::bench {

/// In troupe-bench: replaces this process (execv) with `executable`, a
/// program in the folder this one is in, running `case_name` with the
/// resolved values of `keys`. Returns only by throwing.
[[noreturn]] void exec_sibling(std::string_view executable, std::string_view case_name,
                               const Params& p, const std::vector<KeySpec>& keys);

}  // namespace troupe::bench
