#!/usr/bin/env bash
# The first command of the README: install, build, and run fleetd on
# embedded defaults with a demo tenant and a simulated fleet.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh Release fleetd
exec build/release/src/app/fleetd demo --data-dir ./data/demo "$@"
