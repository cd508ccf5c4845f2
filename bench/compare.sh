#!/usr/bin/env bash
# Usage: bench/compare.sh [CASE ...] [rounds=N] [peers=a,b] [option=value ...] [key=value ...]
#
# Runs cases of the benchmark spec on Troupe and on the peers, interleaved
# per case (troupe caf go erlang tokio, troupe caf go ...), and writes a
# report with the medians and the troupe/peer ratios (bench/RESULTS.md).
#
# The remote cases (remote_ping_pong, remote_fan_in, remote_ask_latency:
# two processes on loopback, defined in bench/README.md) run only when named. Their only
# peer is Erlang distribution (bench/erlang/run.sh, built into
# build/erlang-bench), interleaved troupe erlang troupe erlang ...; the
# peers of the shared folder are not built for them.
#
#   CASE ...        cases to run (default: the seven of the spec, in its
#                   order; the remote cases only when named)
#   rounds=N        interleaved rounds per case (default 5; the spec wants >= 5)
#   peers=LIST      comma-separated peers (default: caf,go,erlang,tokio);
#                   peers=none runs Troupe alone
#   peers-dir=DIR   the peers' sources (default: ../shared/peers next to the
#                   repository); they are copied to build/peers/<name> and
#                   built there, so DIR may be read-only
#   install=1       let a peer's build.sh apt-get install its missing
#                   toolchain (default: skip that peer with a message)
#   settle=S        before each run, wait up to S seconds for the machine to
#                   be idle (< 10 % CPU busy over 0.5 s); default 30, 0 = off.
#   retries=K       repeat a run (at most K times, default 2) while other
#                   processes used more than 5 % of a core during it; a run
#                   still noisy after that is kept and counted as noisy
#   timeout=S       kill a run after S seconds (default 600)
#   out=FILE        the report (default: bench/RESULTS.md). It has two
#                   sections, the spec's cases and the remote cases; a run
#                   rewrites the section(s) of the cases it ran and keeps
#                   the other one as it was
#   key=value       anything else is passed to every run (n=..., workers=...)
#
# A case troupe-bench does not implement yet (exit 3) or a peer reports as
# NA shows as n/a; a run with a wrong check as INVALID; a run without a
# RESULT line as FAILED. None of these stops the comparison.
# idle_actors also runs with n=0 for the baseline of "bytes per idle actor".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

all_cases=(ping_pong thread_ring fan_in fork_join spawn_tree idle_actors channel_mpmc)
remote_cases=(remote_ping_pong remote_fan_in remote_ask_latency)
cases=()
rounds=5
peers_list=caf,go,erlang,tokio
peers_dir=$root/../shared/peers
install=0
settle=30
retries=2
run_timeout=600
out=$here/RESULTS.md
extra=()

die() {
  echo "compare.sh: $*" >&2
  exit 2
}
log() { echo "$*" >&2; }

for arg in "$@"; do
  case $arg in
    rounds=*) rounds=${arg#*=} ;;
    peers=*) peers_list=${arg#*=} ;;
    peers-dir=*) peers_dir=${arg#*=} ;;
    install=*) install=${arg#*=} ;;
    settle=*) settle=${arg#*=} ;;
    retries=*) retries=${arg#*=} ;;
    timeout=*) run_timeout=${arg#*=} ;;
    out=*) out=${arg#*=} ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *=*) extra+=("$arg") ;;
    *)
      [[ " ${all_cases[*]} ${remote_cases[*]} " == *" $arg "* ]] ||
        die "unknown case '$arg' (cases: ${all_cases[*]} ${remote_cases[*]})"
      cases+=("$arg")
      ;;
  esac
done
[ ${#cases[@]} -gt 0 ] || cases=("${all_cases[@]}")
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "rounds must be a positive integer"
[[ $settle =~ ^[0-9]+$ ]] || die "settle must be a number of seconds"
[[ $retries =~ ^[0-9]+$ ]] || die "retries must be a number"
[[ $run_timeout =~ ^[1-9][0-9]*$ ]] || die "timeout must be a positive number of seconds"
[ "$rounds" -ge 5 ] || log "compare.sh: note: the spec asks for at least 5 rounds, running $rounds"
if [ "$peers_list" = none ]; then peers_list=""; fi

is_remote() { [[ " ${remote_cases[*]} " == *" $1 "* ]]; }
# The selected cases, split by kind: they have their own peers and their
# own section of the report.
local_sel=()
remote_sel=()
for c in "${cases[@]}"; do
  if is_remote "$c"; then remote_sel+=("$c"); else local_sel+=("$c"); fi
done

# --- Building ----------------------------------------------------------------

log "== building troupe-bench"
"$here/build.sh" >&2
# The commit the binary was built from: the tree may move on during a long
# comparison, so it is read now, not when the report is written.
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit+=" (with uncommitted changes)"
fi

# What a peer's build.sh would install; empty when the peer is ready.
peer_missing() {
  local reg=/usr/share/cargo/registry
  case $1 in
    caf)
      dpkg-query -W -f='${Status}' libcaf-dev 2>/dev/null | grep -q "ok installed" ||
        echo -n "libcaf-dev "
      command -v g++ >/dev/null 2>&1 || echo -n "g++ "
      ;;
    go) command -v go >/dev/null 2>&1 || echo -n "golang-go " ;;
    erlang) command -v erlc >/dev/null 2>&1 && command -v erl >/dev/null 2>&1 || echo -n "erlang-base " ;;
    tokio)
      command -v cargo >/dev/null 2>&1 || echo -n "cargo "
      compgen -G "$reg/tokio-1.24.*" >/dev/null || echo -n "librust-tokio-dev "
      compgen -G "$reg/async-channel-1.*" >/dev/null || echo -n "librust-async-channel-dev "
      ;;
  esac
}

peer_version() {
  case $1 in
    caf) dpkg-query -W -f='libcaf-dev ${Version}' libcaf-dev 2>/dev/null ;;
    go) go version 2>/dev/null ;;
    erlang) erl -noshell -eval 'io:format("Erlang/OTP ~s", [erlang:system_info(otp_release)]), halt().' 2>/dev/null ;;
    tokio) cargo --version 2>/dev/null ;;
  esac
}

# The spec's cases run troupe and the peers of the shared folder (runner);
# the remote cases run troupe and bench/erlang (remote_runner).
impls=(troupe)
remote_impls=(troupe)
declare -A runner=([troupe]="$here/run.sh") remote_runner=([troupe]="$here/run.sh")
declare -A version=([troupe]="$(g++ --version | head -1)")
skipped=()
remote_skipped=()
IFS=, read -r -a wanted <<<"$peers_list"
# Building the peers takes a while (cargo, CAF): only when a case needs them.
local_peers=()
if [ ${#local_sel[@]} -gt 0 ]; then local_peers=("${wanted[@]}"); fi
for p in ${local_peers[@]+"${local_peers[@]}"}; do
  [ -n "$p" ] || continue
  src=$peers_dir/$p
  if [ ! -x "$src/run.sh" ]; then
    log "== skipping $p: no $src/run.sh"
    skipped+=("$p (no run.sh under the peers folder)")
    continue
  fi
  missing=$(peer_missing "$p")
  if [ -n "$missing" ] && [ "$install" != 1 ]; then
    log "== skipping $p: not installed: ${missing}(install=1 lets its build.sh apt-get them)"
    skipped+=("$p (not installed: ${missing% })")
    continue
  fi
  dst=$root/build/peers/$p
  log "== building $p in build/peers/$p"
  mkdir -p "$dst"
  cp -a "$src/." "$dst/"
  chmod -R u+w "$dst"
  if ! "$dst/build.sh" >&2; then
    log "== skipping $p: its build.sh failed"
    skipped+=("$p (build failed)")
    continue
  fi
  impls+=("$p")
  runner[$p]=$dst/run.sh
  version[$p]=$(peer_version "$p")
done

# The remote cases' peer: two Erlang nodes (bench/erlang), when erlang is
# among the peers asked for.
if [ ${#remote_sel[@]} -gt 0 ] && [[ ",$peers_list," == *,erlang,* ]]; then
  missing=$(peer_missing erlang)
  if [ -n "$missing" ] && [ "$install" != 1 ]; then
    log "== skipping erlang (remote cases): not installed: ${missing}(install=1 lets bench/erlang/build.sh apt-get it)"
    remote_skipped+=("erlang (not installed: ${missing% })")
  elif log "== building bench/erlang in build/erlang-bench" && "$here/erlang/build.sh" >&2; then
    remote_impls+=(erlang)
    remote_runner[erlang]=$here/erlang/run.sh
    version[erlang]=$(peer_version erlang)
  else
    log "== skipping erlang (remote cases): bench/erlang/build.sh failed"
    remote_skipped+=("erlang (build failed)")
  fi
fi

# --- Running -----------------------------------------------------------------

hz=$(getconf CLK_TCK)

# CPU time of the whole machine in ms: "busy total", from /proc/stat.
cpu_ms() {
  local _ user nice sys idle iowait irq softirq steal
  read -r _ user nice sys idle iowait irq softirq steal _ </proc/stat
  local busy=$((user + nice + sys + irq + softirq + steal))
  echo "$((busy * 1000 / hz)) $(((busy + idle + iowait) * 1000 / hz))"
}

# Sets child_ms: CPU time (user + system, ms) of this script's finished
# children. `times` must run in this shell, not in a subshell (a fork starts
# with zero children's time), hence the file and the global.
children_cpu_ms() {
  local t
  times >"$work/times"
  child_ms=0
  # The second line holds the children's times: "0m1.250s 0m0.020s".
  for t in $(tail -1 "$work/times"); do
    [[ $t =~ ^([0-9]+)m([0-9]+)\.([0-9]+)s$ ]] || continue
    child_ms=$((child_ms + BASH_REMATCH[1] * 60000 + 10#${BASH_REMATCH[2]} * 1000 + 10#${BASH_REMATCH[3]}))
  done
}

# Waits until the machine is < 10 % busy over 0.5 s, at most $settle s.
# Returns 1 if it never was (the run then starts anyway).
wait_for_idle() {
  [ "$settle" -gt 0 ] || return 0
  local deadline=$((SECONDS + settle)) b0 t0 b1 t1
  while :; do
    read -r b0 t0 < <(cpu_ms)
    sleep 0.5
    read -r b1 t1 < <(cpu_ms)
    [ $((t1 - t0)) -gt 0 ] && [ $(((b1 - b0) * 10)) -lt $((t1 - t0)) ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || return 1
  done
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$work/data # one line per run: kind case impl round status rate secs rss_kb n noisy
raw=$work/raw   # the RESULT lines, annotated
declare -A gave_up=()
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# Runs one impl on one case once (repeating a noisy run up to $retries
# times); appends to $data and $raw.
run_one() {
  local kind=$1 case_name=$2 impl=$3 round=$4
  shift 4
  local attempt rc line status b0 b1 c0 c1 w0 w1 other_ms wall_ms noisy cmd
  if is_remote "$case_name"; then cmd=${remote_runner[$impl]}; else cmd=${runner[$impl]}; fi
  for ((attempt = 0; attempt <= retries; attempt++)); do
    wait_for_idle || true
    read -r b0 _ < <(cpu_ms)
    children_cpu_ms
    c0=$child_ms
    w0=${EPOCHREALTIME/./}
    if TROUPE_BENCH_BUILD=0 timeout "$run_timeout" "$cmd" "$case_name" "$@" \
      >"$work/out" 2>"$work/err"; then rc=0; else rc=$?; fi
    w1=${EPOCHREALTIME/./}
    children_cpu_ms
    c1=$child_ms
    read -r b1 _ < <(cpu_ms)
    wall_ms=$(((w1 - w0) / 1000))
    other_ms=$((b1 - b0 - (c1 - c0)))
    noisy=0
    [ "$other_ms" -le $((wall_ms / 20 + 50)) ] || noisy=1
    if [ "$noisy" = 0 ] || [ "$attempt" -ge "$retries" ]; then break; fi
    log "  noisy: other processes used ${other_ms} ms of CPU during ${wall_ms} ms ($impl), repeating"
  done
  line=$(grep -m1 '^RESULT ' "$work/out" || true)
  if [ "$impl" = troupe ] && [ "$rc" -eq 3 ]; then
    status=n/a
  elif [ -z "$line" ]; then
    status=FAILED
  elif [[ $line == *" rate=NA "* ]]; then
    status=n/a
  elif [ "$rc" -ne 0 ]; then
    status=INVALID
  else
    status=ok
  fi
  if [ "$status" = n/a ]; then gave_up[$kind/$case_name/$impl]=1; fi
  local f rate=- secs=- rss=- n=-
  for f in $line; do
    case $f in
      rate=*) rate=${f#*=} ;;
      secs=*) secs=${f#*=} ;;
      rss_kb=*) rss=${f#*=} ;;
      n=*) n=${f#*=} ;;
    esac
  done
  echo "$kind $case_name $impl $round $status $rate $secs $rss $n $noisy" >>"$data"
  local note="  # round=$round status=$status other_cpu_ms=$other_ms"
  if [ "$noisy" = 1 ]; then note+=" noisy"; fi
  if [ "$kind" = base ]; then note+=" baseline"; fi
  if [ -n "$line" ]; then
    echo "$line$note" >>"$raw"
    log "  $line$note"
  elif [ "$status" = n/a ]; then
    log "  $impl $case_name: n/a ($(head -c 200 "$work/err" | tr '\n' ' '))"
  else
    log "  $impl $case_name: no RESULT line (exit $rc): $(tail -c 300 "$work/err" | tr '\n' ' ')"
  fi
}

# Runs every impl once on a case (one round), skipping those that said n/a.
run_round() {
  local kind=$1 case_name=$2 round=$3 impl list
  shift 3
  if is_remote "$case_name"; then list=("${remote_impls[@]}"); else list=("${impls[@]}"); fi
  for impl in "${list[@]}"; do
    [ -z "${gave_up[$kind/$case_name/$impl]:-}" ] || continue
    run_one "$kind" "$case_name" "$impl" "$round" "$@"
  done
}

base_args=()
for a in "${extra[@]}"; do [[ $a == n=* ]] || base_args+=("$a"); done
base_args+=(n=0)

touch "$data" "$raw"
for c in "${cases[@]}"; do
  for ((r = 1; r <= rounds; r++)); do
    log "== $c, round $r of $rounds"
    run_round run "$c" "$r" "${extra[@]}"
    [ "$c" != idle_actors ] || run_round base "$c" "$r" "${base_args[@]}"
  done
done

# --- Report ------------------------------------------------------------------

cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cpu_mhz=$(grep -m1 '^cpu MHz' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/\..*//')
cmd_line="bench/compare.sh${*:+ $*}"

local_title="# Troupe against the peers"
remote_title="# Remote cases: Troupe against Erlang distribution"

# One section of the report: write_section TITLE "IMPLS" "SKIPPED" CASE...
# (SKIPPED: newline-separated lines).
write_section() {
  local title=$1 impl_list=$2 skipped_lines=$3 i line
  shift 3
  echo "$title"
  echo
  echo "Written by \`$cmd_line\`."
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Commit: $commit"
  echo "- Machine: nproc = $(nproc), ${cpu_model:-unknown CPU}${cpu_mhz:+ ($cpu_mhz MHz)}, $(uname -sr)"
  echo "- Load average (1, 5, 15 min): $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  for i in $impl_list; do echo "- $i: ${version[$i]:-?}"; done
  while IFS= read -r line; do [ -z "$line" ] || echo "- skipped: $line"; done <<<"$skipped_lines"
  echo "- Rounds: $rounds per case, interleaved ($impl_list, $impl_list, ...)"
  echo
  awk -v impls="$impl_list" -v cases="$*" -f "$here/compare-report.awk" "$data"
  echo
  echo "## Raw RESULT lines"
  echo
  echo '```'
  # The RESULT lines of these cases only ($2 is "case=NAME").
  awk -v cases="$*" 'BEGIN { n = split(cases, c, " "); for (i = 1; i <= n; i++) want["case=" c[i]] = 1 }
    want[$2]' "$raw"
  echo '```'
}

# The section of the previous report titled $1 (from its title to the next
# title), so that a run keeps the section of the cases it did not run.
old_section() {
  [ -f "$out" ] || return 0
  awk -v title="$1" '/^# / { keep = ($0 == title) } keep' "$out"
}

# Drops trailing blank lines (the sections are joined with exactly one).
trim() { awk 'NF { for (; blank > 0; blank--) print ""; print; next } { blank++ }'; }

if [ ${#local_sel[@]} -gt 0 ]; then
  write_section "$local_title" "${impls[*]}" "$(printf '%s\n' ${skipped[@]+"${skipped[@]}"})" \
    "${local_sel[@]}" | trim >"$work/part1"
else
  old_section "$local_title" | trim >"$work/part1"
fi
if [ ${#remote_sel[@]} -gt 0 ]; then
  write_section "$remote_title" "${remote_impls[*]}" \
    "$(printf '%s\n' ${remote_skipped[@]+"${remote_skipped[@]}"})" "${remote_sel[@]}" |
    trim >"$work/part2"
else
  old_section "$remote_title" | trim >"$work/part2"
fi
{
  cat "$work/part1"
  if [ -s "$work/part1" ] && [ -s "$work/part2" ]; then echo; fi
  cat "$work/part2"
} >"$work/report"
cp "$work/report" "$out"
log "== report written to $out"
