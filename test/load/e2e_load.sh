#!/usr/bin/env bash
# End-to-end load harness on embedded defaults: `fleetd sim` over loopback TCP
# -> in-process queue -> SQLite, measured until the last row is committed.
# Reports positions/s and loss (sent - stored; must be 0). A benchmark run by
# hand (results in docs/performance.md), not part of the test suite.
#
# Usage: test/load/e2e_load.sh [devices] [messages-per-device] [frames-per-write]
set -euo pipefail
cd "$(dirname "$0")/../.."
devices="${1:-200}"
messages="${2:-2500}"
frames="${3:-50}"
scripts/build.sh Release fleetd > /dev/null
fleetd="build/release/src/app/fleetd"
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
gt06_port=$(free_port)
api_port=$(free_port)

"$fleetd" tenant add load --data-dir "$work" > /dev/null
first=860100000000000
python3 - "$work/fleetd.db" "$devices" "$first" <<'PY'
import sqlite3, sys, time
db, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
tid = c.execute("select id from tenants where name='load'").fetchone()[0]
now = int(time.time() * 1000)
c.executemany("insert into devices(tenant_id, uid, name, created_at) values (?,?,?,?)",
              [(tid, str(first + i), "load %d" % i, now) for i in range(n)])
c.commit()
PY
"$fleetd" run --data-dir "$work" --listen "gt06=127.0.0.1:$gt06_port" --api "127.0.0.1:$api_port" \
  > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$api_port/healthz" > /dev/null && break; sleep 0.1; done

stored() { curl -s "http://127.0.0.1:$api_port/metrics" | awk '$1=="fleetd_positions_stored_total"{print $2}'; }
start=$(date +%s.%N)
"$fleetd" sim --port "$gt06_port" --devices "$devices" --first-imei "$first" --messages "$messages" \
  --interval-ms 0 --frames-per-write "$frames" > "$work/sim.json"
sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["positions_sent"])' "$work/sim.json")
end=$start
for _ in $(seq 1 600); do
  s=$(stored)
  [ "${s:-0}" -ge "$sent" ] && break
  sleep 0.05
done
end=$(date +%s.%N)
s=$(stored)
rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from positions").fetchone()[0])' "$work/fleetd.db")
python3 - "$sent" "$s" "$rows" "$start" "$end" "$devices" "$messages" <<'PY'
import sys
sent, stored, rows, start, end, devices, messages = sys.argv[1:]
sent, stored, rows = int(sent), int(stored), int(rows)
secs = float(end) - float(start)
print(f"devices={devices} messages/device={messages} sent={sent} stored={stored} rows={rows} "
      f"loss={sent - rows} seconds={secs:.2f} rate={rows / secs:,.0f} positions/s")
PY
cat "$work/sim.json"
