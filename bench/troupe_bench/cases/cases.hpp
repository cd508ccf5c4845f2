#pragma once

#include <troupe/runtime/runtime.hpp>

#include "params.hpp"
#include "result_line.hpp"

// The run functions of the implemented cases, one file each in cases/.
namespace troupe::bench {

/// The Runtime settings every case uses: `workers` worker threads.
inline RuntimeOptions runtime_options(const Params& p) { return {.workers = p.workers()}; }

Outcome run_ping_pong(const Params& p);
Outcome run_thread_ring(const Params& p);
Outcome run_fan_in(const Params& p);
Outcome run_fork_join(const Params& p);
Outcome run_spawn_tree(const Params& p);
Outcome run_idle_actors(const Params& p);
Outcome run_channel_mpmc(const Params& p);

}  // namespace troupe::bench
