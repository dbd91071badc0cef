#!/usr/bin/env bash
# Configures and builds fleetd into build/<type> (Debug for tests, Release for
# the demo and benchmarks). Usage: scripts/build.sh [Debug|Release] [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-Release}"
shift || true
dir="build/$(echo "$type" | tr 'A-Z' 'a-z')"
flags=()
[ "$type" = "Release" ] && flags+=(-DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG")
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${flags[@]}"
fi
cmake --build "$dir" -j "$(nproc)" ${1:+--target "$@"}
