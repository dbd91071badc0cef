#!/usr/bin/env bash
# The fleetd binary as an operator uses it: admin commands while the server
# runs, the simulator against it, the REST API over curl, decode's exit
# status, and clear errors for bad configuration. Usage: cli_test.sh FLEETD
set -uo pipefail
fleetd="$1"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0
check() {  # check NAME CONDITION-COMMAND...
  local name="$1"
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- configuration errors are clear and exit 2 ---
printf 'no_such_key = 1\n' > "$work/bad.toml"
out=$("$fleetd" run --config "$work/bad.toml" 2>&1); rc=$?
check "unknown config key exits 2" [ "$rc" -eq 2 ]
check "unknown config key is named" grep -q "no_such_key" <<<"$out"
out=$("$fleetd" run --data-dir "$work/d0" --listen nosuch=127.0.0.1:1 2>&1); rc=$?
check "unknown protocol exits 2" [ "$rc" -eq 2 ]
check "unknown protocol is named" grep -q "nosuch" <<<"$out"
out=$(FLEETD_THREADS=lots "$fleetd" run --data-dir "$work/d0" 2>&1); rc=$?
check "bad env var exits 2" [ "$rc" -eq 2 ]
check "bad env var is named" grep -q "FLEETD_THREADS" <<<"$out"
out=$("$fleetd" run --data-dir "$work/d0" --store "postgresql://x" 2>&1); rc=$?
check "unsupported store URL exits 2" [ "$rc" -eq 2 ]

# --- decode ---
echo 78780D01086471700328358100093F040D0A | "$fleetd" decode --protocol gt06 --replies > "$work/dec.out" 2> "$work/dec.err"
check "decode login exits 0" [ $? -eq 0 ]
check "decode prints the IMEI" grep -q '"device_uid":"864717003283581"' "$work/dec.out"
check "decode prints the reply" grep -q '"reply":"7878050100' "$work/dec.out"
"$fleetd" decode --protocol gt06 --hex 78780D01086471700328358100093F050D0A > /dev/null 2> "$work/dec.err"
check "decode bad CRC exits 1" [ $? -eq 1 ]
check "decode says why" grep -q "bad_checksum" "$work/dec.err"

# --- a running server, administered from the side ---
gt06_port=$(free_port)
telt_port=$(free_port)
h02_port=$(free_port)
api_port=$(free_port)
data="$work/data"
metrics_token=scrape-$RANDOM-$RANDOM-cli
FLEETD_METRICS_TOKEN=$metrics_token "$fleetd" run --data-dir "$data" --listen "gt06=127.0.0.1:$gt06_port" --listen "teltonika=127.0.0.1:$telt_port" \
  --listen "h02=127.0.0.1:$h02_port" --api "127.0.0.1:$api_port" \
  > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$api_port/healthz" > /dev/null && break
  sleep 0.1
done
check "server answers /healthz" curl -sf "http://127.0.0.1:$api_port/healthz" -o /dev/null

"$fleetd" tenant add acme --data-dir "$data" > /dev/null
check "tenant add" [ $? -eq 0 ]
"$fleetd" tenant add acme --data-dir "$data" > /dev/null 2>&1
check "duplicate tenant fails" [ $? -ne 0 ]
for i in 1 2 3 5 6; do
  "$fleetd" device add --tenant acme --uid "86000000000000$i" --name "truck $i" --data-dir "$data" > /dev/null
done
check "device add for unknown tenant fails" bash -c "! '$fleetd' device add --tenant nobody --uid 1 --data-dir '$data' 2>/dev/null"
"$fleetd" device add --tenant acme --uid 860000000000009 --data-dir "$data" > /dev/null
"$fleetd" device set --uid 860000000000009 --model NT20 --lenient true --data-dir "$data" > "$work/set.out"
check "device set changes the model" grep -q '"model":"NT20"' "$work/set.out"
check "device set of an unknown uid fails" bash -c "! '$fleetd' device set --uid 1 --model x --data-dir '$data' 2>/dev/null"
check "device set with nothing to set fails" bash -c "! '$fleetd' device set --uid 860000000000009 --data-dir '$data' 2>/dev/null"
"$fleetd" user add --tenant acme --email ops@acme.test --password 'long enough pw' --data-dir "$data" > /dev/null
check "user add" [ $? -eq 0 ]
token=$("$fleetd" token --tenant acme --ttl 600 --data-dir "$data")
check "token printed" [ -n "$token" ]

# Devices 1-3 registered while the server runs; device 4 is not.
"$fleetd" sim --port "$gt06_port" --devices 3 --first-imei 860000000000001 --messages 50 --interval-ms 0 \
  --frames-per-write 10 > "$work/sim.json"
check "sim reports 150 positions sent" grep -q '"positions_sent":150' "$work/sim.json"
"$fleetd" sim --port "$gt06_port" --devices 1 --first-imei 860000000000004 --messages 5 > "$work/sim4.json"
"$fleetd" sim --protocol teltonika --port "$telt_port" --devices 1 --first-imei 860000000000005 --messages 40 \
  --interval-ms 0 --frames-per-write 8 > "$work/sim5.json"
check "teltonika sim sent 40" grep -q '"positions_sent":40' "$work/sim5.json"
"$fleetd" sim --protocol h02 --port "$h02_port" --devices 1 --first-imei 860000000000006 --messages 30 \
  --interval-ms 0 --frames-per-write 5 > "$work/sim6.json"
check "h02 sim sent 30" grep -q '"positions_sent":30' "$work/sim6.json"
check "unregistered sim device is refused" grep -q '"logins_refused":1' "$work/sim4.json"

count=0
for _ in $(seq 1 100); do
  count=$(curl -s -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$api_port/api/v1/devices/860000000000002/positions?limit=1000" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["positions"]))')
  [ "$count" = 50 ] && break
  sleep 0.1
done
check "all 50 positions of device 2 stored (got $count)" [ "$count" = 50 ]
stored_count() {
  curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$api_port/api/v1/devices/$1/positions?limit=1000" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["positions"]))'
}
check "all 40 teltonika positions stored" [ "$(stored_count 860000000000005)" = 40 ]
check "all 30 h02 positions stored" [ "$(stored_count 860000000000006)" = 30 ]
live_uids() {
  curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$api_port/api/v1/live" |
    python3 -c 'import json,sys; print(" ".join(sorted(p["device_uid"] for p in json.load(sys.stdin)["positions"])))'
}
check "the live map shows device 6" grep -q 860000000000006 <<<"$(live_uids)"
"$fleetd" device remove --uid 860000000000006 --data-dir "$data" > /dev/null
check "device remove" [ $? -eq 0 ]
# The API reads the registered devices at most every 2 s (registered_ttl):
# a removal by another process shows within that.
gone=no
for _ in $(seq 1 40); do
  grep -q 860000000000006 <<<"$(live_uids)" || { gone=yes; break; }
  sleep 0.1
done
check "a removed device leaves the live map within 2 s" [ "$gone" = yes ]
check "the others stay on it" grep -q 860000000000005 <<<"$(live_uids)"
login=$(curl -s -X POST -d '{"email":"ops@acme.test","password":"long enough pw"}' \
  "http://127.0.0.1:$api_port/api/v1/auth/login")
check "login by the CLI-created user" grep -q access_token <<<"$login"
"$fleetd" device pending --data-dir "$data" > "$work/pending.out"
check "pending lists the unregistered device" grep -q 860000000000004 "$work/pending.out"
pending_status() {
  curl -s -o "$work/pending.http" -w '%{http_code}' -H "Authorization: Bearer $1" \
    "http://127.0.0.1:$api_port/api/v1/devices/pending"
}
check "a tenant admin is refused the pending list" [ "$(pending_status "$token")" = 403 ]
check "the refusal names no device" bash -c "! grep -q 860000000000004 '$work/pending.http'"
"$fleetd" user add --tenant acme --email platform@acme.test --password 'long enough pw' --role operator \
  --data-dir "$data" > "$work/operator.out"
check "user add --role operator" grep -q '"role":"operator"' "$work/operator.out"
check "user add --role root fails" bash -c "! '$fleetd' user add --tenant acme --email r@acme.test \
  --password 'long enough pw' --role root --data-dir '$data' 2>/dev/null"
operator_token=$("$fleetd" token --tenant acme --role operator --ttl 600 --data-dir "$data")
check "the operator sees the pending list" [ "$(pending_status "$operator_token")" = 200 ]
check "the operator's list has the unregistered device" grep -q 860000000000004 "$work/pending.http"
check "metrics refuse a scrape without the metrics token" \
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api_port/metrics")" = 401 ]
metrics=$(curl -s -H "Authorization: Bearer $metrics_token" "http://127.0.0.1:$api_port/metrics")
check "metrics count stored positions" grep -q "fleetd_positions_stored_total 220" <<<"$metrics"

kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=""
check "server stops cleanly on SIGTERM" [ "$rc" -eq 0 ]

# --- the README's first command ends in `fleetd demo` ---
demo_api=$(free_port)
demo_gt06=$(free_port)
"$fleetd" demo --data-dir "$work/demo" --devices 3 --interval-ms 200 --duration 3 \
  --api "127.0.0.1:$demo_api" --listen "gt06=127.0.0.1:$demo_gt06" > "$work/demo.out" 2>&1
check "demo exits 0" [ $? -eq 0 ]
check "demo prints a login" grep -q "admin@demo.fleetd / fleetd-demo" "$work/demo.out"
check "demo prints a token" grep -Eq "Token: +ey" "$work/demo.out"
stored=$(sed -n 's/.* positions sent, \([0-9]*\) stored.*/\1/p' "$work/demo.out")
check "demo stored simulated positions (got ${stored:-none})" [ "${stored:-0}" -ge 20 ]
check "demo started a local Mosquitto" grep -q "MQTT: *mqtt://127.0.0.1:" "$work/demo.out"
mqtt_received=$(sed -n 's/.* sent over MQTT, \([0-9]*\) received.*/\1/p' "$work/demo.out")
check "demo's MQTT gateways reached storage (got ${mqtt_received:-none})" [ "${mqtt_received:-0}" -ge 5 ]
check "demo stopped its Mosquitto" bash -c "! ps -eo args= | grep -q '^/usr/sbin/mosquitto -c $work/demo/'"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
