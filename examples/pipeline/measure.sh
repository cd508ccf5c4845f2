#!/bin/sh
# The figures of README.md: throughput of troupe-wordfreq with 1 and 2
# workers and of the coreutils pipeline on one generated corpus, run
# interleaved (A B C, A B C, ...) so that a noisy machine treats them
# alike, with the median of each; then the peak RSS of troupe-wordfreq on
# 20 MB and on 200 MB. Checks on the way that both give the same output.
#
# usage: examples/pipeline/measure.sh BUILD_DIR [ROUNDS] [MEGABYTES]
#   BUILD_DIR  a release build (cmake --preset release: build/release)
#   ROUNDS     runs of each command (default 5)
#   MEGABYTES  size of the throughput corpus (default 200)
# Needs GNU time (/usr/bin/time) for the RSS.
set -eu
export LC_ALL=C

build=$1
rounds=${2:-5}
megabytes=${3:-200}
bin=$build/examples/pipeline
work=$build/pipeline-measure
mkdir -p "$work"
corpus=$work/corpus-${megabytes}M.txt
small=$work/corpus-20M.txt
[ -f "$corpus" ] || "$bin/troupe-wordfreq-corpus" --bytes "${megabytes}M" > "$corpus"
[ -f "$small" ] || "$bin/troupe-wordfreq-corpus" --bytes 20M > "$small"
cat "$corpus" "$small" > /dev/null  # into the page cache: every run reads from memory

coreutils() {
  cat "$1" | tr -cs 'A-Za-z' '\n' | tr 'A-Z' 'a-z' | grep -v '^$' | sort | uniq -c \
    | sort -k1,1nr -k2,2 | head -10 | sed 's/^ *//'
}

# run NAME COMMAND...: appends the wall time in seconds to $work/NAME.times
run() {
  name=$1
  shift
  start=$(date +%s%N)
  "$@" > "$work/$name.out"
  end=$(date +%s%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", (e - s) / 1e9 }' >> "$work/$name.times"
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rm -f "$work"/*.times
i=0
while [ "$i" -lt "$rounds" ]; do
  run workers1 "$bin/troupe-wordfreq" --workers 1 "$corpus"
  run workers2 "$bin/troupe-wordfreq" --workers 2 "$corpus"
  run coreutils coreutils "$corpus"
  cmp -s "$work/workers1.out" "$work/coreutils.out" || { echo "outputs differ"; exit 1; }
  cmp -s "$work/workers2.out" "$work/coreutils.out" || { echo "outputs differ"; exit 1; }
  i=$((i + 1))
done

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(date +%Y-%m-%d)"
echo "corpus: $megabytes MB, $rounds rounds each, interleaved"
printf '%-30s %10s %10s   %s\n' command "median s" "MB/s" "all runs (s)"
for name in workers1 workers2 coreutils; do
  m=$(median "$work/$name.times")
  printf '%-30s %10s %10.1f   %s\n' "$name" "$m" "$(awk -v m="$m" -v b="$megabytes" 'BEGIN { print b / m }')" \
    "$(tr '\n' ' ' < "$work/$name.times")"
done

for f in "$small" "$corpus"; do
  rss=$(/usr/bin/time -f %M "$bin/troupe-wordfreq" "$f" 2>&1 > /dev/null | tail -n 1)
  echo "peak RSS, $(basename "$f"): $rss KiB"
done
