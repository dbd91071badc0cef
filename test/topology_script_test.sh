#!/usr/bin/env bash
# scripts/topology.sh as an operator uses it: start (optionally with a NATS
# cluster), simulated GT06 trackers through its HAProxy port, every position
# in PostgreSQL once and on the API through HAProxy with a `fleetd token`,
# status, then stop — after which none of the PIDs it recorded is alive.
#
# Usage: test/topology_script_test.sh <fleetd binary> [--nats-cluster]
set -euo pipefail
fleetd="$1"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d /tmp/fleetd-topology-test.XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as user postgres
export FLEETD_TOPOLOGY_DIR="$work/topo" FLEETD_BIN="$fleetd"
fail() { echo "FAIL: $*" >&2; tail -n 20 "$FLEETD_TOPOLOGY_DIR"/logs/*.log >&2 || true; exit 1; }
trap '"$root/scripts/topology.sh" stop > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
trap 'exit 1' TERM INT

"$root/scripts/topology.sh" start --devices 4 "$@" > "$work/start.txt" || fail "start: $(cat "$work/start.txt")"
grep -q "API:" "$work/start.txt" || fail "start printed no API URL"
# shellcheck disable=SC1091
source "$FLEETD_TOPOLOGY_DIR/topology.env"
"$root/scripts/topology.sh" status > "$work/status.txt" || fail "status: $(cat "$work/status.txt")"
want=11  # haproxy, 2 ingest, 2 process, 2 api, nats, postgres, redis, mosquitto
[ "${1:-}" = --nats-cluster ] && want=13
[ "$(ls "$FLEETD_TOPOLOGY_DIR/pids" | wc -l)" -eq $want ] \
  || fail "expected $want processes, have: $(ls "$FLEETD_TOPOLOGY_DIR/pids" | tr '\n' ' ')"

"$fleetd" sim --port "$GT06_PORT" --devices 4 --first-imei "$FIRST_IMEI" --messages 100 --interval-ms 0 \
  > "$work/sim.json" || fail "sim: $(cat "$work/sim.json")"
grep -q '"positions_sent":400' "$work/sim.json" || fail "sim sent: $(cat "$work/sim.json")"
rows=0
for _ in $(seq 1 150); do
  rows=$(psql "$PG_SUPERUSER_URL" -qAtc "SELECT count(*) FROM positions")
  [ "$rows" -ge 400 ] && break
  sleep 0.2
done
[ "$rows" -eq 400 ] || fail "positions stored: $rows, want 400"
dups=$(psql "$PG_SUPERUSER_URL" -qAtc "SELECT count(*) - count(DISTINCT (device_id, ts)) FROM positions")
[ "$dups" -eq 0 ] || fail "$dups duplicate rows"

token=$("$fleetd" token --tenant demo --store "$STORE_URL" --jwt-secret "$JWT_SECRET")
live=$(curl -sf -H "Authorization: Bearer $token" "$API_URL/live") || fail "GET /live through HAProxy"
n=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["positions"]))' "$live")
[ "$n" -eq 4 ] || fail "live positions through HAProxy: $n, want 4"

pids=$(grep '^PID_' "$FLEETD_TOPOLOGY_DIR/topology.env" | cut -d= -f2)
"$root/scripts/topology.sh" stop > /dev/null
for p in $pids; do
  kill -0 "$p" 2>/dev/null && fail "PID $p still alive after stop"
done
! "$root/scripts/topology.sh" status > /dev/null || fail "status says running after stop"
echo "ok: topology.sh $* — 400 positions stored once, API through HAProxy, clean stop"
