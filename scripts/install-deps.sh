#!/usr/bin/env bash
# Installs what fleetd needs to build and test on Debian 12, skipping apt
# entirely when everything is already there. Runs as root (CI) or via sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev nlohmann-json3-dev libsqlite3-dev libssl-dev
  libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 sqlite3 curl
  clang libclang-rt-14-dev llvm-14
  redis-server libhiredis-dev
  nats-server libnats-dev
  postgresql-15 libpq-dev
  mosquitto mosquitto-clients
  haproxy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
