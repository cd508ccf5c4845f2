#!/usr/bin/env bash
# Builds troupe-bench with the release preset (build/release), configuring
# it first if needed; ninja rebuilds only what is stale. Installs the Debian
# packages the build needs if any is missing (cmake/install-deps.sh).
# Environment: JOBS=K build parallelism (default: nproc).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

cmake/install-deps.sh
if [ ! -f build/release/build.ninja ]; then
  cmake --preset release
fi
cmake --build --preset release --target troupe-bench -j "${JOBS:-$(nproc)}"
