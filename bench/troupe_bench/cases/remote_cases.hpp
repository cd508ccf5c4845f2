#pragma once

#include <vector>

#include "params.hpp"
#include "result_line.hpp"

// The remote cases (two processes on loopback; bench/README.md defines
// them). They live in their own executable, troupe-bench-remote, which
// links the remote module (gRPC, protobuf): linked into troupe-bench, its
// shared libraries would add about 8 MB to the peak RSS of every local
// case. troupe-bench lists them and checks their keys, then replaces
// itself (execv) with troupe-bench-remote, so that the RESULT line, the
// exit status and the peak RSS (VmHWM starts afresh at execv) are the
// remote binary's.
namespace troupe::bench {

/// The keys of the remote cases and their defaults, for both tables.
inline std::vector<KeySpec> remote_ping_pong_keys() { return {{"n", 40'000}, workers_key()}; }
inline std::vector<KeySpec> remote_ask_latency_keys() {
  return {{"n", 40'000}, {"askers", 1, 1, 10'000}, workers_key()};
}
inline std::vector<KeySpec> remote_fan_in_keys() {
  return {{"n", 1'000'000}, {"producers", 4, 1, 4096}, workers_key()};
}

/// In troupe-bench: execv troupe-bench-remote (next to it) with the case
/// and its resolved keys. Return only by throwing.
Outcome exec_remote_ping_pong(const Params& p);
Outcome exec_remote_fan_in(const Params& p);
Outcome exec_remote_ask_latency(const Params& p);

/// In troupe-bench-remote: the cases (process 1) and their server roles
/// (process 2, which the case starts; they never return, see end_server).
Outcome run_remote_ping_pong(const Params& p);
Outcome run_remote_ping_pong_server(const Params& p);
Outcome run_remote_fan_in(const Params& p);
Outcome run_remote_fan_in_server(const Params& p);
Outcome run_remote_ask_latency(const Params& p);

}  // namespace troupe::bench
