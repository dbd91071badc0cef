#!/usr/bin/env bash
# The second command of the README (and CI): install, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh Debug
(cd build/debug && ctest --output-on-failure -j "$(nproc)" --timeout 300)
# Bounded fuzzing of every protocol's framer + decoder under ASan/UBSan.
scripts/fuzz.sh "${FLEETD_FUZZ_SECONDS:-20}"
