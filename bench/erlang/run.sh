#!/usr/bin/env bash
# Usage: bench/erlang/run.sh CASE [key=value ...]   -> one RESULT line (impl=erlang)
#
# The remote cases of troupe-bench (remote_ping_pong, remote_fan_in,
# remote_ask_latency) on Erlang distribution, with the interface of
# bench/run.sh: the same keys (n=, producers=, askers=, workers=), the same
# RESULT line, exit status 0 ok, 1 failed or wrong check, 2 usage error.
#
# Two VMs on this machine: node 2 (started in the background) registers the
# process the case talks to; node 1 runs the case against it, prints the
# RESULT line and stops node 2. Each run has its own node names and a
# random cookie, so that runs never meet each other's nodes; erl starts
# epmd if it is not running. Both VMs get +S K:K (workers=K, default 2),
# like troupe-bench's two processes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
beams=$here/../../build/erlang-bench

usage() {
  echo "usage: $0 remote_ping_pong|remote_fan_in|remote_ask_latency [n=N] [producers=P] [askers=A] [workers=K]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
case_name=$1
case $case_name in
  remote_ping_pong | remote_fan_in | remote_ask_latency) ;;
  *) usage ;;
esac
workers=2
args=()
for a in "${@:2}"; do
  case $a in
    workers=*) workers=${a#*=} ;; # a VM flag (+S), not a case parameter
    n=* | producers=* | askers=*) args+=("$a") ;;
    *) usage ;;
  esac
  [[ ${a#*=} =~ ^[0-9]+$ ]] || usage
done
[ "$workers" -ge 1 ] || usage

# Build output must not reach stdout, which carries only the RESULT line.
"$here/build.sh" >&2

tag=rb$$_$RANDOM
node1=${tag}_1
node2=${tag}_2
# The cookie goes through the environment rather than the command line,
# where any user of the machine could read it (ps).
cookie=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export ERL_AFLAGS="-setcookie $cookie"
# No crash dump files on failure (the error is printed to stderr anyway).
export ERL_CRASH_DUMP_SECONDS=0
flags=(+S "$workers:$workers" -noshell -pa "$beams")

# Node 2's output goes to stderr: stdout is node 1's RESULT line only.
erl -sname "$node2" "${flags[@]}" -run remote_bench server "$case_name" </dev/null >&2 &
pid2=$!
# A successful node 1 has halted node 2 already; after a failure node 2 is
# stopped here. Either way it is reaped (wait), so that its CPU time counts
# as this script's children's (compare.sh tells noise from it that way).
rc=1
cleanup() {
  if [ "$rc" -ne 0 ]; then kill "$pid2" 2>/dev/null || true; fi
  wait "$pid2" 2>/dev/null || true
}
trap cleanup EXIT

rc=0
erl -sname "$node1" "${flags[@]}" -run remote_bench main "$case_name" "$node2" "${args[@]}" </dev/null || rc=$?
exit "$rc"
