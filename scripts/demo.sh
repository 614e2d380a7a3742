#!/bin/sh
# Build libmodellix and run the quickstart demo: submit -> wait -> download an image.
# Without MODELLIX_API_KEY it runs against the embedded mock server; with it, against the service.
#   scripts/demo.sh ["a prompt"]
set -eu
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
BUILD=${BUILD:-build}
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
meson compile -C "$BUILD" examples/quickstart >/dev/null
exec "$BUILD/examples/quickstart" --out modellix-output "$@"
