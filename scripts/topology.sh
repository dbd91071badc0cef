#!/usr/bin/env bash
# A local production topology on loopback (issue 5), with real servers from
# Debian 12 packages, for operators to try the scale-out layout and for the
# tests and load harness to point at:
#
#   devices ─TCP─▶ HAProxy ─▶ 2 × fleetd ingest ─▶ NATS JetStream ─▶ 2 × fleetd process ─▶ PostgreSQL
#                    │                  ▲ (MQTT)                         (consume=0-7 | 8-15)  + Redis
#   API clients ─HTTP/WS─▶ HAProxy ─▶ 2 × fleetd api ◀── Redis (live state and pushes) ──┘
#                                       Mosquitto
#
# Usage: scripts/topology.sh start [--nats-cluster] [--devices N] | stop | status
#   FLEETD_TOPOLOGY_DIR  state directory (default ./data/topology)
#   FLEETD_BIN           the fleetd binary (default build/release, else build/debug)
#
# Every port is picked free at start and written, with URLs and PIDs, to
# <dir>/topology.env; each process's PID is in <dir>/pids/<name>.pid and its
# log in <dir>/logs/<name>.log. `stop` signals those PIDs and nothing else.
set -euo pipefail

cmd="${1:-}"
[ $# -gt 0 ] && shift
dir="${FLEETD_TOPOLOGY_DIR:-./data/topology}"
root="$(cd "$(dirname "$0")/.." && pwd)"

die() { echo "topology: $*" >&2; exit 1; }

pid_alive() { kill -0 "$1" 2>/dev/null; }

# Stops one process by its PID file: SIGTERM (SIGINT for postgres: fast
# shutdown), up to 15 s, then SIGKILL.
stop_pid() {
  local file="$1" name pid sig=TERM
  name="$(basename "$file" .pid)"
  pid="$(cat "$file" 2>/dev/null || true)"
  if [ -n "$pid" ] && pid_alive "$pid"; then
    [ "$name" = postgres ] && sig=INT
    kill -s "$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -s KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$file"
}

do_stop() {
  [ -d "$dir/pids" ] || { echo "topology: nothing running in $dir"; return 0; }
  # Front to back: the load balancer, the stateless nodes, then the servers.
  for pattern in haproxy 'api-*' 'ingest-*' 'process-*' mosquitto redis 'nats-*' postgres; do
    for f in "$dir"/pids/$pattern.pid; do
      [ -e "$f" ] && stop_pid "$f"
    done
  done
  echo "topology: stopped"
}

do_status() {
  if [ -z "$(ls -A "$dir/pids" 2>/dev/null)" ]; then echo "topology: nothing running in $dir"; return 1; fi
  local down=0
  for f in "$dir"/pids/*.pid; do
    [ -e "$f" ] || continue
    local pid
    pid="$(cat "$f")"
    if pid_alive "$pid"; then
      printf '%-12s %-8s up\n' "$(basename "$f" .pid)" "$pid"
    else
      printf '%-12s %-8s DOWN\n' "$(basename "$f" .pid)" "$pid"
      down=1
    fi
  done
  [ -f "$dir/topology.env" ] && grep -E '^(GT06_PORT|TELTONIKA_PORT|API_URL|STORE_URL|QUEUE_URL)=' "$dir/topology.env"
  return $down
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {  # port seconds name
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "$3 did not open port $1 (see $dir/logs/$3.log)"
}

find_prog() {
  local p
  p="$(command -v "$1" 2>/dev/null || true)"
  [ -z "$p" ] && [ -x "/usr/lib/postgresql/15/bin/$1" ] && p="/usr/lib/postgresql/15/bin/$1"
  [ -z "$p" ] && [ -x "/usr/sbin/$1" ] && p="/usr/sbin/$1"
  [ -n "$p" ] || die "$1 is not installed (scripts/install-deps.sh)"
  echo "$p"
}

# Starts `name` in the background with its log and PID file. With
# AS_POSTGRES=1 it drops to user postgres first (setpriv execs, so the PID is
# the server's own).
spawn() {
  local name="$1"
  shift
  if [ "${AS_POSTGRES:-0}" = 1 ] && [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid postgres --regid postgres --init-groups -- "$@" > "$dir/logs/$name.log" 2>&1 &
  else
    "$@" > "$dir/logs/$name.log" 2>&1 &
  fi
  echo $! > "$dir/pids/$name.pid"
}

env_line() { echo "$1=$2" >> "$dir/topology.env"; }

do_start() {
  local cluster=0 devices=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --nats-cluster) cluster=1 ;;
      --devices) devices="$2"; shift ;;
      *) die "unknown option $1" ;;
    esac
    shift
  done
  if [ -d "$dir/pids" ] && [ -n "$(ls -A "$dir/pids" 2>/dev/null)" ]; then
    die "$dir already has a topology (scripts/topology.sh stop first)"
  fi
  local fleetd="${FLEETD_BIN:-}"
  if [ -z "$fleetd" ]; then
    for b in "$root/build/release/src/app/fleetd" "$root/build/debug/src/app/fleetd"; do
      [ -x "$b" ] && { fleetd="$b"; break; }
    done
  fi
  [ -x "$fleetd" ] || die "no fleetd binary: run scripts/build.sh or set FLEETD_BIN"
  local nats redis pg initdb haproxy mosquitto mosquitto_ctrl psql
  nats="$(find_prog nats-server)"; redis="$(find_prog redis-server)"
  pg="$(find_prog postgres)"; initdb="$(find_prog initdb)"; psql="$(find_prog psql)"
  haproxy="$(find_prog haproxy)"; mosquitto="$(find_prog mosquitto)"; mosquitto_ctrl="$(find_prog mosquitto_ctrl)"

  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  rm -rf "$dir/pids" "$dir/logs" "$dir/nats" "$dir/pg" "$dir/redis" "$dir/mosquitto" "$dir/nodes"
  mkdir -p "$dir/pids" "$dir/logs" "$dir/redis" "$dir/mosquitto" "$dir/nodes"
  : > "$dir/topology.env"
  chmod 700 "$dir"
  # If anything below fails, leave nothing running.
  trap 'rc=$?; if [ "${started_ok:-0}" != 1 ]; then echo "topology: start failed; stopping what was started" >&2; do_stop >&2; fi; exit $rc' EXIT

  local secret pgpw mqttpw
  secret="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  pgpw="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  mqttpw="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  env_line FLEETD_BIN "$fleetd"
  env_line JWT_SECRET "$secret"

  # --- NATS JetStream: one node, or three with routes between them.
  local nats_hosts="" replicas=1 n=1
  [ $cluster = 1 ] && { n=3; replicas=3; }
  local cports=() i
  for i in $(seq 0 $((n - 1))); do cports+=("$(free_port)"); done
  for i in $(seq 0 $((n - 1))); do
    local p m args
    p="$(free_port)"; m="$(free_port)"
    mkdir -p "$dir/nats/n$i"
    args=(-js -sd "$dir/nats/n$i" -a 127.0.0.1 -p "$p" -m "$m" --server_name "fleetd-n$i")
    if [ $cluster = 1 ]; then
      local routes="" j
      for j in 0 1 2; do [ "$j" != "$i" ] && routes="${routes:+$routes,}nats://127.0.0.1:${cports[$j]}"; done
      args+=(--cluster_name fleetd -cluster "nats://127.0.0.1:${cports[$i]}" --routes "$routes")
    fi
    spawn "nats-$i" "$nats" "${args[@]}"
    env_line "NATS_${i}_PORT" "$p"
    env_line "NATS_${i}_MONITOR_PORT" "$m"
    nats_hosts="${nats_hosts:+$nats_hosts,}127.0.0.1:$p"
    wait_port "$p" 15 "nats-$i"
  done
  # JetStream answers once it has a meta leader (a cluster elects one).
  local m0
  m0="$(grep '^NATS_0_MONITOR_PORT=' "$dir/topology.env" | cut -d= -f2)"
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$m0/healthz" > /dev/null 2>&1 && break
    sleep 0.1
  done
  # FLEETD_TOPOLOGY_PARTITIONS: stream partitions (default 8, even, >= 2),
  # split in halves between the two process workers. 8 leaves room for 8
  # process copies; each partition more costs NATS and the process nodes
  # CPU per message at a given linger (its batches get smaller): at 10,000
  # msg/s 16 partitions took 1.2 s more NATS CPU per 20 s than 8
  # (docs/performance.md).
  # FLEETD_TOPOLOGY_QUEUE_ARGS: extra queue URL keys for experiments (e.g. "&linger=5ms").
  local partitions="${FLEETD_TOPOLOGY_PARTITIONS:-8}"
  case "$partitions" in ''|*[!0-9]*) die "FLEETD_TOPOLOGY_PARTITIONS must be a number, got '$partitions'" ;; esac
  [ "$partitions" -ge 2 ] && [ $((partitions % 2)) -eq 0 ] || die "FLEETD_TOPOLOGY_PARTITIONS must be even and at least 2, got $partitions"
  local queue_base="nats://$nats_hosts?partitions=$partitions&replicas=$replicas${FLEETD_TOPOLOGY_QUEUE_ARGS:-}"
  env_line QUEUE_URL "$queue_base"

  # --- PostgreSQL 15: its own cluster in the directory, run as postgres when we are root.
  local pgport pgdata="$dir/pg/data"
  pgport="$(free_port)"
  mkdir -p "$dir/pg"
  echo "$pgpw" > "$dir/pg/pw"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$dir/pg"
    # postgres must be able to reach its directory.
    chmod 711 "$dir"
    setpriv --reuid postgres --regid postgres --init-groups -- test -w "$dir/pg" \
      || die "user postgres cannot reach $dir/pg (a parent directory is not searchable); pick another FLEETD_TOPOLOGY_DIR"
  fi
  AS_POSTGRES=1 spawn initdb "$initdb" -D "$pgdata" -U postgres --pwfile="$dir/pg/pw" -A scram-sha-256 \
    --no-sync --no-instructions -E UTF8 --locale=C
  wait "$(cat "$dir/pids/initdb.pid")" || die "initdb failed (see $dir/logs/initdb.log)"
  rm -f "$dir/pids/initdb.pid" "$dir/pg/pw"
  # Write-heavy settings an operator would give a telemetry database (the
  # defaults suit a small mixed workload): room for a burst of WAL in memory,
  # no checkpoint (and its full-page writes) every 1 GB of WAL, compressed
  # full-page images. FLEETD_TOPOLOGY_PG_ARGS adds or overrides settings.
  # shellcheck disable=SC2086
  AS_POSTGRES=1 spawn postgres "$pg" -D "$pgdata" -p "$pgport" -k "$dir/pg" -c listen_addresses=127.0.0.1 \
    -c max_connections=200 -c shared_buffers=512MB -c wal_buffers=64MB -c max_wal_size=8GB \
    -c checkpoint_timeout=15min -c wal_compression=lz4 ${FLEETD_TOPOLOGY_PG_ARGS:-}
  wait_port "$pgport" 30 postgres
  local su="postgresql://postgres:$pgpw@127.0.0.1:$pgport"
  for _ in $(seq 1 100); do "$psql" "$su/postgres" -qAtc 'select 1' > /dev/null 2>&1 && break; sleep 0.1; done
  # The schema owner (ingest, process, admin) and the database; CREATEROLE
  # lets the migration create the API's RLS role.
  "$psql" "$su/postgres" -qv ON_ERROR_STOP=1 > /dev/null <<SQL
CREATE ROLE fleetd LOGIN CREATEROLE PASSWORD '$pgpw';
CREATE DATABASE fleetd OWNER fleetd;
SQL
  local store="postgresql://fleetd:$pgpw@127.0.0.1:$pgport/fleetd"
  env_line PG_PORT "$pgport"
  env_line PG_SUPERUSER_URL "$su/fleetd"
  env_line STORE_URL "$store"

  # --- Redis: live state and the pushes every API node subscribes to.
  local rport
  rport="$(free_port)"
  spawn redis "$redis" --port "$rport" --bind 127.0.0.1 --dir "$dir/redis" --save "" --appendonly no
  wait_port "$rport" 15 redis
  env_line REDIS_PORT "$rport"
  env_line LIVE_URL "redis://127.0.0.1:$rport"

  # --- Mosquitto with dynamic security; fleetd's own account is its admin.
  local mport
  mport="$(free_port)"
  "$mosquitto_ctrl" dynsec init "$dir/mosquitto/dynamic-security.json" fleetd "$mqttpw" > "$dir/logs/mosquitto_ctrl.log" 2>&1 \
    || die "mosquitto_ctrl dynsec init failed (see $dir/logs/mosquitto_ctrl.log)"
  local plugin="" f
  for f in /usr/lib/*/mosquitto_dynamic_security.so /usr/lib/mosquitto_dynamic_security.so; do
    [ -r "$f" ] && { plugin="$f"; break; }
  done
  [ -n "$plugin" ] || die "mosquitto_dynamic_security.so not found (package mosquitto)"
  cat > "$dir/mosquitto/mosquitto.conf" <<CONF
# Settings explained in docs/mqtt.md (src/listen/mqtt/mosquitto_config.cc writes the same).
$( [ "$(id -u)" -eq 0 ] && echo "user root" )
per_listener_settings false
listener $mport 127.0.0.1
persistence true
persistence_location $dir/mosquitto/
autosave_interval 1
max_queued_messages 1000000
max_queued_bytes 0
max_inflight_messages 0
max_inflight_bytes 0
persistent_client_expiration 7d
log_dest stdout
connection_messages false
allow_anonymous false
plugin $plugin
plugin_opt_config_file $dir/mosquitto/dynamic-security.json
CONF
  spawn mosquitto "$mosquitto" -c "$dir/mosquitto/mosquitto.conf"
  wait_port "$mport" 15 mosquitto
  local mqtt="mqtt://fleetd:$mqttpw@127.0.0.1:$mport"
  env_line MQTT_PORT "$mport"
  env_line MQTT_URL "$mqtt"

  # --- The schema (migrated on open), a tenant and, if asked, devices.
  FLEETD_JWT_SECRET="$secret" "$fleetd" tenant add demo --store "$store" > "$dir/logs/admin.log" 2>&1 \
    || die "fleetd tenant add failed (see $dir/logs/admin.log)"
  # N simulator devices (IMEIs FIRST_IMEI.. for `fleetd sim --first-imei`),
  # in one statement: `fleetd device add` per device is slow for thousands.
  local first=860500000000000
  if [ "$devices" -gt 0 ]; then
    "$psql" "$su/fleetd" -qv ON_ERROR_STOP=1 -c "INSERT INTO devices (tenant_id, uid, name, created_at)
      SELECT t.id, convert_to(($first + i)::text, 'UTF8'), 'sim ' || i, (extract(epoch FROM now()) * 1000)::bigint
      FROM tenants t, generate_series(0, $devices - 1) i WHERE t.name = 'demo'" > /dev/null
    env_line FIRST_IMEI "$first"
  fi
  env_line DEVICES "$devices"

  # --- fleetd nodes. Shared settings travel in the environment.
  export FLEETD_STORE="$store" FLEETD_LIVE="redis://127.0.0.1:$rport" FLEETD_JWT_SECRET="$secret"
  local ingest_ports=() ingest_metrics=() api_ports=() tport
  for i in 1 2; do
    local g t h
    g="$(free_port)"; t="$(free_port)"; h="$(free_port)"
    mkdir -p "$dir/nodes/ingest-$i"
    # One io thread per ingest copy (FLEETD_TOPOLOGY_INGEST_THREADS): two
    # copies share the two cores, and an io thread each makes fewer, fuller
    # epoll wake-ups (0.5 CPU s per node per 20 s less at 10,000 msg/s).
    spawn "ingest-$i" "$fleetd" ingest --data-dir "$dir/nodes/ingest-$i" --queue "$queue_base" \
      --threads "${FLEETD_TOPOLOGY_INGEST_THREADS:-1}" \
      --listen "gt06=127.0.0.1:$g" --listen "teltonika=127.0.0.1:$t" --api "127.0.0.1:$h" \
      --mqtt "$mqtt" --mqtt-client-id "fleetd-ingest-$i"
    wait_port "$g" 30 "ingest-$i"
    ingest_ports+=("$g $t"); ingest_metrics+=("$h")
    env_line "INGEST_${i}_GT06_PORT" "$g"
    env_line "INGEST_${i}_TELTONIKA_PORT" "$t"
    env_line "INGEST_${i}_METRICS_PORT" "$h"
  done
  # Static partition assignment: the two workers' ranges are disjoint and
  # together cover all partitions.
  local half=$((partitions / 2))
  local ranges=("0-$((half - 1))" "$half-$((partitions - 1))")
  for i in 1 2; do
    local h
    h="$(free_port)"
    mkdir -p "$dir/nodes/process-$i"
    spawn "process-$i" "$fleetd" process --data-dir "$dir/nodes/process-$i" \
      --queue "$queue_base&consume=${ranges[$((i - 1))]}" --api "127.0.0.1:$h"
    wait_port "$h" 30 "process-$i"
    env_line "PROCESS_${i}_METRICS_PORT" "$h"
    env_line "PROCESS_${i}_CONSUME" "${ranges[$((i - 1))]}"
  done
  for i in 1 2; do
    local a
    a="$(free_port)"
    mkdir -p "$dir/nodes/api-$i"
    spawn "api-$i" "$fleetd" api --data-dir "$dir/nodes/api-$i" --api "127.0.0.1:$a" \
      --mqtt "$mqtt" --mqtt-client-id "fleetd-api-$i"
    wait_port "$a" 30 "api-$i"
    api_ports+=("$a")
    env_line "API_${i}_PORT" "$a"
  done

  # --- HAProxy: TCP frontends for the device ports (a device stays on one
  # ingest node for its connection; leastconn spreads reconnects), an HTTP
  # frontend for the API that passes WebSocket upgrades through.
  local gport hport_api stats maxconn
  # Two descriptors per proxied connection; stay under this shell's limit.
  maxconn=$(( ($(ulimit -n) - 200) / 2 )); [ $maxconn -gt 100000 ] && maxconn=100000
  gport="$(free_port)"; tport="$(free_port)"; hport_api="$(free_port)"; stats="$(free_port)"
  {
    cat <<CFG
global
  maxconn $maxconn
  # One thread by default: here HAProxy shares two cores with every other
  # server, and in TCP mode one thread keeps up with the load harness's
  # 10,000 msg/s at ~10% less CPU than two (fewer cross-thread wake-ups).
  # A dedicated load balancer gets one per core.
  nbthread ${FLEETD_TOPOLOGY_HAPROXY_THREADS:-1}
  log stdout format raw local0 notice

defaults
  log global
  timeout connect 5s
  # Trackers sit idle between fixes; fleetd closes them after --idle-timeout (600 s).
  timeout client 15m
  timeout server 15m
  # A WebSocket (or any upgraded connection) lives this long without traffic.
  timeout tunnel 1h
  # A connection refused by a dead node is retried on the other one.
  retries 3
  option redispatch
  default-server inter 1s fall 2 rise 2

frontend stats
  mode http
  bind 127.0.0.1:$stats
  stats enable
  stats uri /

CFG
    for proto in gt06 teltonika; do
      local fport idx
      [ $proto = gt06 ] && { fport=$gport; idx=0; } || { fport=$tport; idx=1; }
      cat <<CFG
frontend $proto
  mode tcp
  bind 127.0.0.1:$fport
  default_backend ${proto}_ingest

backend ${proto}_ingest
  mode tcp
  balance leastconn
  # Healthy = the node answers /healthz on its metrics port.
  option httpchk GET /healthz
  http-check expect status 200
CFG
      for i in 1 2; do
        local ports=(${ingest_ports[$((i - 1))]})
        echo "  server ingest-$i 127.0.0.1:${ports[$idx]} check port ${ingest_metrics[$((i - 1))]} on-marked-down shutdown-sessions"
      done
      echo
    done
    cat <<CFG
frontend api
  mode http
  bind 127.0.0.1:$hport_api
  option forwardfor
  default_backend api_nodes

backend api_nodes
  mode http
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
CFG
    for i in 1 2; do echo "  server api-$i 127.0.0.1:${api_ports[$((i - 1))]} check"; done
  } > "$dir/haproxy.cfg"
  "$haproxy" -c -f "$dir/haproxy.cfg" > "$dir/logs/haproxy-check.log" 2>&1 \
    || die "haproxy rejected its config (see $dir/logs/haproxy-check.log)"
  spawn haproxy "$haproxy" -db -f "$dir/haproxy.cfg"
  wait_port "$gport" 15 haproxy
  wait_port "$hport_api" 15 haproxy
  env_line GT06_PORT "$gport"
  env_line TELTONIKA_PORT "$tport"
  env_line API_PORT "$hport_api"
  env_line API_URL "http://127.0.0.1:$hport_api/api/v1"
  env_line HAPROXY_STATS_URL "http://127.0.0.1:$stats/"
  for f in "$dir"/pids/*.pid; do env_line "PID_$(basename "$f" .pid | tr 'a-z-' 'A-Z_')" "$(cat "$f")"; done
  started_ok=1

  cat <<TXT
fleetd topology running (state in $dir; stop with: FLEETD_TOPOLOGY_DIR=$dir scripts/topology.sh stop)
  devices:  GT06 127.0.0.1:$gport   Teltonika 127.0.0.1:$tport (TCP; via HAProxy to ingest-1, ingest-2)
  MQTT:     $mqtt (broker admin; devices get credentials from fleetd device add --mqtt)
  API:      http://127.0.0.1:$hport_api/api/v1   WebSocket ws://127.0.0.1:$hport_api/api/v1/stream
  token:    $fleetd token --tenant demo --store '$store' --jwt-secret $secret
  device:   $fleetd device add --tenant demo --uid <IMEI> --store '$store'
  queue:    $queue_base (process-1 consume=0-7, process-2 consume=8-15)
  store:    $store     live: redis://127.0.0.1:$rport
  HAProxy:  http://127.0.0.1:$stats/ (stats)
  Everything (ports, URLs, PIDs) is in $dir/topology.env.
TXT
}

case "$cmd" in
  start) do_start "$@" ;;
  stop) do_stop ;;
  status) do_status ;;
  *) echo "usage: $0 start [--nats-cluster] [--devices N] | stop | status" >&2; exit 2 ;;
esac
