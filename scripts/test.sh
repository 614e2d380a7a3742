#!/bin/sh
# Build libmodellix and run every test suite; the last line reads "N passed, N failed".
#   scripts/test.sh                 (BUILD=dir and MESON_ARGS="..." to vary the build)
set -eu
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
BUILD=${BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" ${MESON_ARGS:-} >/dev/null
meson compile -C "$BUILD" >/dev/null
rc=0
meson test -C "$BUILD" --print-errorlogs ${TEST_ARGS:-} || rc=$?
python3 scripts/test-summary.py "$BUILD/meson-logs/testlog${TEST_SETUP_SUFFIX:-}.json"
exit $rc
