#!/bin/sh
# Build libmodellix and run every test suite; the last line reads "N passed, N failed".
#   scripts/test.sh                 (BUILD=dir and MESON_ARGS="..." to vary the build)
set -eu
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
BUILD=${BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" ${MESON_ARGS:-} >/dev/null
if ! meson compile -C "$BUILD" >"$BUILD/compile.log" 2>&1; then
    # a build that fails says so (the compiler's words) and counts as a failure, never as silence
    grep -E "error|FAILED" "$BUILD/compile.log" | head -n 20
    echo "build failed: see $BUILD/compile.log"
    echo "0 passed, 1 failed"
    exit 1
fi
rc=0
meson test -C "$BUILD" --print-errorlogs ${TEST_ARGS:-} || rc=$?
python3 scripts/test-summary.py "$BUILD/meson-logs/testlog${TEST_SETUP_SUFFIX:-}.json"
exit $rc
