#!/usr/bin/env bash
# Scale-out load harness (issue 5): the topology of scripts/topology.sh —
# HAProxy, 2 ingest, NATS JetStream, 2 process workers, PostgreSQL, Redis,
# 2 API nodes — driven by `fleetd sim` over GT06/TCP. A benchmark run by hand
# (results in docs/performance.md), not part of the test suite.
#
# Throughput (default): N devices × M positions as fast as the servers take
# them, timed from the first frame until the last row is in PostgreSQL;
# loss = sent - stored (must be 0). In the same run, the same rows are COPYed
# again into the same positions table (emptied first) by one COPY from a
# file, twice (the faster counts), and the ratio fleetd rate / raw COPY rate
# is reported.
#
# Latency (--latency RATE): devices at an interval giving RATE msg/s for
# SECONDS; a WebSocket client on API node 1 (test/load/ws_latency, built with
# FLEETD_BENCHMARKS) reports p50/p99 of received_at -> visible on the socket.
#
# Usage: test/load/scaleout_load.sh [devices] [messages-per-device] [frames-per-write]
#        test/load/scaleout_load.sh --latency RATE [devices] [seconds]
#   FLEETD_BIN (default build/release, else build/debug), WS_LATENCY (the probe),
#   --nats-cluster anywhere: 3 NATS nodes with a replicas=3 stream.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
mode=throughput rate=0 cluster=()
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --latency) mode=latency; rate="$2"; shift ;;
    --nats-cluster) cluster=(--nats-cluster) ;;
    *) args+=("$1") ;;
  esac
  shift
done
set -- "${args[@]+"${args[@]}"}"
if [ -z "${FLEETD_BIN:-}" ]; then
  for b in build/release/src/app/fleetd build/debug/src/app/fleetd; do [ -x "$b" ] && { FLEETD_BIN="$root/$b"; break; }; done
fi
[ -x "${FLEETD_BIN:-}" ] || { echo "no fleetd binary (scripts/build.sh Release fleetd)" >&2; exit 1; }
export FLEETD_BIN
case "$FLEETD_BIN" in *debug*) echo "note: $FLEETD_BIN is a Debug build; numbers are not representative" >&2 ;; esac

work=$(mktemp -d /tmp/fleetd-scaleout.XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as user postgres and must reach its directory
export FLEETD_TOPOLOGY_DIR="$work/topology"
probe=""
cleanup() {
  [ -n "$probe" ] && kill "$probe" 2>/dev/null
  scripts/topology.sh stop > /dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

if [ $mode = throughput ]; then
  devices="${1:-200}" messages="${2:-2500}" frames="${3:-50}"
else
  devices="${1:-1000}" seconds="${2:-20}"
fi
scripts/topology.sh start --devices "$devices" "${cluster[@]+"${cluster[@]}"}" > "$work/topology.txt"
# shellcheck disable=SC1091
source "$FLEETD_TOPOLOGY_DIR/topology.env"
sql() { psql "$PG_SUPERUSER_URL" -qAtc "$1"; }
rows() { sql "SELECT count(*) FROM positions"; }
# "name seconds" per server and node: user + system CPU so far (children
# included), and every live PostgreSQL process together (the postmaster's own
# counters only include children that have exited).
cpu_seconds() {
  local tick f pid
  tick=$(getconf CLK_TCK)
  for f in "$FLEETD_TOPOLOGY_DIR"/pids/*.pid; do
    [ "$(basename "$f")" = postgres.pid ] && continue  # in postgres-processes
    pid=$(cat "$f")
    [ -r "/proc/$pid/stat" ] || continue
    awk -v t="$tick" -v n="$(basename "$f" .pid)" '{ sub(/^.*\) /, ""); printf "%s %.2f\n", n, ($12 + $13 + $14 + $15) / t }' "/proc/$pid/stat"
  done
  if [ -n "${PG_SUPERUSER_URL:-}" ]; then
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v t="$tick" '$2 == "(postgres)" { s += $14 + $15 } END { printf "postgres-processes %.2f\n", s / t }'
  fi
}
report_servers() {
  # CPU seconds each server, node and the simulator used during the run
  # (since cpu_before): where the two cores went.
  cpu_line="cpu seconds this run:$(cpu_seconds | awk -v before="$cpu_before" '
    BEGIN { n = split(before, b, "\n"); for (i = 1; i <= n; i++) { split(b[i], kv, " "); base[kv[1]] = kv[2] } }
    { printf " %s=%.1f", $1, $2 - base[$1]; total += $2 - base[$1] } END { printf " (total %.1f)", total }')"
  [ -f "$work/sim.time" ] && cpu_line+=" sim=$(awk '{ printf "%.1f", $1 + $2 }' "$work/sim.time")"
  echo "$cpu_line"
  if command -v redis-cli > /dev/null; then
    echo "redis: $(redis-cli -p "$REDIS_PORT" info commandstats | grep -E '^cmdstat_(evalsha|publish):' | tr -d '\r' | tr '\n' ' ')"
  fi
  # Where the process workers spent their time (summed over their threads).
  for port in "$PROCESS_1_METRICS_PORT" "$PROCESS_2_METRICS_PORT"; do
    curl -s "127.0.0.1:$port/metrics" | awk '
      /^fleetd_process_step_microseconds_total/ { split($1, a, "\""); step[a[2]] = $2 }
      $1 == "fleetd_store_batches_total" { batches = $2 }
      $1 == "fleetd_process_batch_messages_total" { msgs = $2 }
      END { printf "process worker: %d batches, %.0f msg/batch; seconds gather %.2f write %.2f handoff %.2f live %.2f events %.2f ack %.2f\n",
                   batches, batches ? msgs / batches : 0, step["gather"] / 1e6, step["write"] / 1e6,
                   step["handoff"] / 1e6, step["live"] / 1e6, step["events"] / 1e6, step["ack"] / 1e6 }'
  done
}

if [ $mode = throughput ]; then
  total=$((devices * messages))
  cpu_before=$(cpu_seconds)
  start=$(date +%s.%N)
  TIMEFORMAT='%U %S'
  { time "$FLEETD_BIN" sim --protocol gt06 --port "$GT06_PORT" --devices "$devices" --first-imei "$FIRST_IMEI" \
    --messages "$messages" --interval-ms 0 --frames-per-write "$frames" > "$work/sim.json" ; } 2> "$work/sim.time"
  sent_at=$(date +%s.%N)
  sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["positions_sent"])' "$work/sim.json")
  stored=0
  for _ in $(seq 1 1200); do
    stored=$(rows)
    [ "$stored" -ge "$sent" ] && break
    sleep 0.25
  done
  end=$(date +%s.%N)
  m1=$(curl -s "127.0.0.1:$INGEST_1_METRICS_PORT/metrics" | awk '$1=="fleetd_messages_total{protocol=\"gt06\"}"{print $2}')
  m2=$(curl -s "127.0.0.1:$INGEST_2_METRICS_PORT/metrics" | awk '$1=="fleetd_messages_total{protocol=\"gt06\"}"{print $2}')
  report_servers

  # The raw baseline: the same rows COPYed into the same table (emptied
  # first; its partitions and indexes stay), one COPY from a file.
  # Twice, keeping the faster: a baseline slowed by a noisy moment of the
  # machine would flatter the ratio.
  sql "\\copy (SELECT * FROM positions) TO '$work/rows.copy'"
  copy_start=0 copy_end=0
  for _ in 1 2; do
    sql "TRUNCATE positions"
    t0=$(date +%s.%N)
    sql "\\copy positions FROM '$work/rows.copy'"
    t1=$(date +%s.%N)
    if [ "$copy_end" = 0 ] || python3 -c "import sys; sys.exit(0 if $t1 - $t0 < $copy_end - $copy_start else 1)"; then
      copy_start=$t0 copy_end=$t1
    fi
  done
  copied=$(sql "SELECT count(*) FROM positions")
  python3 - "$sent" "$stored" "$total" "$start" "$sent_at" "$end" "$copy_start" "$copy_end" "$copied" \
    "$devices" "$messages" "${m1:-0}" "${m2:-0}" <<'PY'
import sys
sent, stored, total = map(int, sys.argv[1:4])
start, sent_at, end, cs, ce = map(float, sys.argv[4:9])
copied, devices, messages = map(int, sys.argv[9:12])
m1, m2 = float(sys.argv[12]), float(sys.argv[13])
secs = end - start
rate = stored / secs if secs > 0 else 0
copy_rate = copied / (ce - cs) if ce > cs else 0
print(f"devices={devices} messages/device={messages} planned={total} sent={sent} stored={stored} "
      f"loss={sent - stored}")
print(f"fleetd: {secs:.2f} s to the last row, {rate:,.0f} msg/s (sim done after {sent_at - start:.2f} s); "
      f"ingest split {m1:.0f}/{m2:.0f} messages")
print(f"raw COPY of the same {copied} rows: {ce - cs:.2f} s, {copy_rate:,.0f} rows/s; "
      f"ratio fleetd/COPY = {rate / copy_rate if copy_rate else 0:.2f}")
sys.exit(0 if sent == stored else 1)
PY
  cat "$work/sim.json"
else
  ws="${WS_LATENCY:-}"
  if [ -z "$ws" ]; then
    for b in build/release/test/ws_latency build/debug/test/ws_latency; do [ -x "$b" ] && { ws="$b"; break; }; done
  fi
  [ -x "$ws" ] || { echo "no ws_latency (cmake --build <dir> --target ws_latency)" >&2; exit 1; }
  interval=$(( devices * 1000 / rate ))
  [ "$interval" -ge 1 ] || { echo "need more devices for $rate msg/s" >&2; exit 1; }
  token=$("$FLEETD_BIN" token --tenant demo --store "$STORE_URL" --jwt-secret "$JWT_SECRET")
  "$ws" "$API_1_PORT" "$token" $((seconds + 8)) > "$work/latency.json" &
  probe=$!
  sleep 1
  before=$(rows)
  cpu_before=$(cpu_seconds)
  TIMEFORMAT='%U %S'
  { time "$FLEETD_BIN" sim --protocol gt06 --port "$GT06_PORT" --devices "$devices" --first-imei "$FIRST_IMEI" \
    --interval-ms "$interval" --duration "$seconds" > "$work/sim.json" ; } 2> "$work/sim.time"
  wait "$probe" || true
  probe=""
  after=$(rows)
  sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["positions_sent"])' "$work/sim.json")
  echo "target ${rate} msg/s: ${devices} devices every ${interval} ms for ${seconds} s; sent=${sent} " \
    "(achieved $((sent / seconds)) msg/s), stored=$((after - before))"
  echo "WebSocket on api-1, frame received -> visible: $(cat "$work/latency.json")"
  echo "api-1 WebSocket clients dropped as too slow: $(curl -s "127.0.0.1:$API_1_PORT/metrics" |
    awk '$1 == "fleetd_ws_dropped_slow_total" { print $2; found = 1 } END { if (!found) print 0 }')"
  report_servers
fi
