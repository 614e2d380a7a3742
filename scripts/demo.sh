#!/bin/sh
# Build libmodellix and run the quickstart example: submit -> wait -> download an image.
# With MODELLIX_API_KEY set it runs against the service (or MODELLIX_BASE_URL). Without it, it starts
# the standalone mock server (tests/mock/modellix-mock) on loopback and points the example at it,
# through MODELLIX_BASE_URL and MODELLIX_API_KEY, as any program would be.
#   scripts/demo.sh ["a prompt"]
set -eu
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
BUILD=${BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
if [ -n "${MODELLIX_API_KEY:-}" ]; then
    meson compile -C "$BUILD" examples/quickstart >/dev/null
    exec "$BUILD/examples/quickstart" --out modellix-output "$@"
fi
meson compile -C "$BUILD" examples/quickstart tests/mock/modellix-mock >/dev/null
echo "No MODELLIX_API_KEY set: running against the mock server (tests/mock/modellix-mock)."
exec scripts/with-mock.sh "$BUILD/tests/mock/modellix-mock" --duration-ms 2000 -- \
    "$BUILD/examples/quickstart" --out modellix-output "$@"
