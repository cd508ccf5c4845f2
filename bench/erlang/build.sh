#!/usr/bin/env bash
# Builds remote_bench.erl into build/erlang-bench (under the repository's
# build folder, so that the sources stay clean). Idempotent: erlc runs only
# when the source is newer than the .beam. Installs Debian's erlang-base
# (erl, erlc, epmd) with apt-get if it is missing, as the peers' build.sh do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../build/erlang-bench

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v erlc >/dev/null 2>&1 || ! command -v erl >/dev/null 2>&1; then
  as_root apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends erlang-base >/dev/null
fi

mkdir -p "$out"
if [ ! "$out/remote_bench.beam" -nt "$here/remote_bench.erl" ]; then
  erlc +warn_all -Werror -o "$out" "$here/remote_bench.erl"
fi
