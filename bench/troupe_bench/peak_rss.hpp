#pragma once

namespace troupe::bench {

/// The peak resident set size of this process so far, in KiB: VmHWM from
/// /proc/self/status, falling back to getrusage's ru_maxrss. VmHWM comes
/// first because ru_maxrss survives execve on Linux: started through a
/// wrapper script, it can report the wrapper's larger peak instead of ours.
/// It is also what every peer reports. -1 if neither can be read.
long peak_rss_kb();

}  // namespace troupe::bench
