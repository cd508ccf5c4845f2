#!/usr/bin/env bash
# Usage: bench/run.sh CASE [key=value ...]   -> one RESULT line (impl=troupe)
#
# Runs one case of the benchmark spec with troupe-bench (the same interface
# as the peers' run.sh). Builds troupe-bench first (bench/build.sh: release
# preset, only what is stale); build output goes to stderr. The exit status
# is troupe-bench's: 0 ok, 1 failed or wrong check, 2 usage error, 3 case not
# implemented yet. `bench/run.sh --help` lists the cases and their keys.
#
# Environment: TROUPE_BENCH_BUILD=0 runs what is built without building
# (compare.sh builds once up front, so that every round runs one binary).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exe=$here/../build/release/bench/troupe_bench/troupe-bench

if [ $# -lt 1 ]; then
  echo "usage: $0 CASE [key=value ...]   (--help: the cases and their keys)" >&2
  exit 2
fi
if [ "${TROUPE_BENCH_BUILD:-1}" != 0 ]; then
  "$here/build.sh" >&2
fi
if [ ! -x "$exe" ]; then
  echo "$0: $exe is not built (run bench/build.sh)" >&2
  exit 1
fi
exec "$exe" "$@"
