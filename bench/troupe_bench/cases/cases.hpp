#pragma once

#include <troupe/runtime/runtime.hpp>

#include "params.hpp"
#include "result_line.hpp"

// The run functions of the implemented cases, one file each in cases/.
namespace troupe::bench {

/// The Runtime settings every case uses: `workers` worker threads.
inline RuntimeOptions runtime_options(const Params& p) { return {.workers = p.workers()}; }

Outcome run_channel_mpmc(const Params& p);

}  // namespace troupe::bench
