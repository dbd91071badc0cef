#!/usr/bin/env bash
# MQTT load harness: devices publish JSON at QoS 1 through a real Mosquitto
# on loopback -> fleetd's bridge -> in-process queue -> SQLite, measured until
# the last row is committed; then the same load drained by mosquitto_sub
# alone (the broker's own rate on this machine), for the ratio. A benchmark
# run by hand (docs/performance.md), not part of the test suite.
#
# Usage: test/load/mqtt_load.sh [devices] [messages-per-device]
# (FLEETD_BUILD picks the build tree, default build/release; FLEETD_RUN_PREFIX
# wraps the fleetd server, e.g. "perf record -g -o /tmp/fleetd.perf --".)
set -euo pipefail
cd "$(dirname "$0")/../.."
devices="${1:-8}"
messages="${2:-25000}"
total=$((devices * messages))
build="${FLEETD_BUILD:-build/release}"
[ -x "$build/src/app/fleetd" ] || scripts/build.sh Release fleetd > /dev/null
fleetd="$build/src/app/fleetd"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
broker_port=$(free_port)
admin_pw="load-admin-pw"
mkdir -p "$work/broker"
mosquitto_ctrl dynsec init "$work/broker/dynamic-security.json" fleetd "$admin_pw" > /dev/null
cat > "$work/broker/mosquitto.conf" <<CONF
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
listener $broker_port 127.0.0.1
persistence true
persistence_location $work/broker/
max_queued_messages 10000000
max_inflight_messages 0
allow_anonymous false
plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so
plugin_opt_config_file $work/broker/dynamic-security.json
log_dest none
CONF
start_broker() {
  mosquitto -c "$work/broker/mosquitto.conf" > "$work/broker.log" 2>&1 &
  broker_pid=$!
  pids+=("$broker_pid")
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$broker_port) 2>/dev/null && return; sleep 0.05; done
  echo "broker did not start" >&2; exit 1
}
start_broker
url="mqtt://fleetd:$admin_pw@127.0.0.1:$broker_port"
"$fleetd" tenant add load --data-dir "$work" > /dev/null
first=$((862100000000000 + 1))
for d in $(seq 0 $((devices - 1))); do
  uid=$((first + d))
  "$fleetd" device add --tenant load --uid "$uid" --data-dir "$work" --mqtt "$url" \
    | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["mqtt"]["password"])' > "$work/secret.$uid"
done
count() { sqlite3 "$work/fleetd.db" "select count(*) from positions"; }
# The publishers: fleetd's MQTT simulator, QoS 1 with a window of
# unacknowledged messages per device (it re-provisions the devices' secrets).
publish_all() {
  "$fleetd" sim --protocol mqtt --mqtt "$url" --devices "$devices" --first-imei "$first" --messages "$messages" \
    --interval-ms 0 --window "${FLEETD_MQTT_WINDOW:-2000}" > "$work/sim.out"
}

# 1. Through fleetd into storage.
${FLEETD_RUN_PREFIX:-} "$fleetd" run --data-dir "$work" --mqtt "$url" --mqtt-client-id fleetd-load --listen gt06=127.0.0.1:0 \
  --api 127.0.0.1:0 > "$work/fleetd.log" 2>&1 &
fleetd_pid=$!
pids+=("$fleetd_pid")
first_uid=$first
for _ in $(seq 100); do   # until fleetd's subscription is in place (a probe is stored)
  mosquitto_pub -h 127.0.0.1 -p "$broker_port" -V 5 -q 1 -u "$first_uid" -P "$(cat "$work/secret.$first_uid")" \
    -t "fleet/$first_uid/telemetry" -m '{"v":1,"ts":"2026-05-20T00:00:00Z","lat":1,"lng":1}'
  [ "$(count)" -ge 1 ] && break; sleep 0.1
done
start=$(date +%s.%N)
publish_all
while [ "$(count)" -lt $((total + 1)) ]; do sleep 0.05; done
end=$(date +%s.%N)
stored=$(($(count) - 1))
kill "$fleetd_pid"; wait "$fleetd_pid" 2>/dev/null || true
fleetd_rate=$(python3 -c "print(round($total / ($end - $start)))")

# 2. The broker alone: the same publishers, drained by mosquitto_sub.
kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
rm -f "$work/broker/mosquitto.db"   # forget fleetd's offline session
start_broker
mosquitto_sub -h 127.0.0.1 -p "$broker_port" -V 5 -q 1 -u fleetd -P "$admin_pw" -t 'fleet/+/telemetry' \
  -C "$total" > /dev/null &
sub_pid=$!
sleep 0.5
start=$(date +%s.%N)
publish_all
wait "$sub_pid"
end=$(date +%s.%N)
broker_rate=$(python3 -c "print(round($total / ($end - $start)))")
echo "{\"devices\":$devices,\"messages\":$total,\"stored\":$stored,\"lost\":$((total - stored)),\"fleetd_msg_per_s\":$fleetd_rate,\"broker_only_msg_per_s\":$broker_rate,\"ratio\":$(python3 -c "print(round($fleetd_rate / $broker_rate, 2))")}"
