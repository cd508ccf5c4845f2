#!/usr/bin/env bash
# Drives troupe-chat and ngircd (Debian package ngircd) with the same load,
# one after the other, and prints both reports: same clients, same rooms,
# same message count.
#
#   examples/chat/loadgen/compare-ngircd.sh [BUILD_DIR] [loadgen options...]
#
# BUILD_DIR defaults to build/release. The loadgen options default to
# "--clients 1000 --rooms 50 --messages 100 --window 4". Ports: 16667
# (troupe-chat) and 16668 (ngircd), or TROUPE_PORT and NGIRCD_PORT.
set -euo pipefail

build=${1:-build/release}
[ $# -gt 0 ] && shift
load=("$@")
[ ${#load[@]} -eq 0 ] && load=(--clients 1000 --rooms 50 --messages 100 --window 4)
troupe_port=${TROUPE_PORT:-16667}
ngircd_port=${NGIRCD_PORT:-16668}
chat=$build/examples/chat/troupe-chat
loadgen=$build/examples/chat/loadgen/troupe-chat-loadgen
ngircd=$(command -v ngircd || echo /usr/sbin/ngircd)
for f in "$chat" "$loadgen" "$ngircd"; do
  [ -x "$f" ] || { echo "missing: $f" >&2; exit 2; }
done

work=$(mktemp -d)
chmod 755 "$work"  # ngircd drops to an unprivileged user
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Without the limits a real network wants: no per-IP connection cap, no
# channel cap, no flood penalty (MaxPenaltyTime = 0), long ping timeouts.
cat > "$work/ngircd.conf" <<CONF
[Global]
	Name = ngircd.loadgen
	Info = ngircd for the loadgen comparison
	Listen = 127.0.0.1
	Ports = $ngircd_port
	MotdPhrase = "loadgen"
	PidFile = $work/ngircd.pid
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 16
	MaxPenaltyTime = 0
	PingTimeout = 600
	PongTimeout = 600
[Options]
	DNS = no
	Ident = no
	PAM = no
CONF

ulimit -n "$(ulimit -Hn)"
"$ngircd" -n -f "$work/ngircd.conf" > "$work/ngircd.log" 2>&1 &
pids+=($!)
# 1,000 connections from loopback: no per-address limit (nor has ngircd here).
"$chat" --host 127.0.0.1 --port "$troupe_port" --max-connections-per-address 0 > "$work/troupe-chat.log" 2>&1 &
pids+=($!)

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}
wait_port "$troupe_port"
wait_port "$ngircd_port"

status=0
echo "== troupe-chat ($(nproc) cores, shared with the load generator)"
"$loadgen" --port "$troupe_port" --prefix t "${load[@]}" || status=1
echo "== ngircd $("$ngircd" --version | head -1 | cut -d' ' -f2 | cut -d- -f1) (one thread)"
"$loadgen" --port "$ngircd_port" --prefix n "${load[@]}" || status=1
exit $status
