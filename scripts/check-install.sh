#!/bin/sh
# Staged-install check (c-style.md 3.11, step 5): install a build into a DESTDIR, compile
# tests/abi/install_smoke.c against the staged tree with `pkg-config --cflags --libs modellix` only,
# and run it (LD_LIBRARY_PATH on the staged libdir) against the standalone mock server. This proves the
# installed headers, modellix.pc, -lmodellix and the soname work for a downstream user.
#
# usage: scripts/check-install.sh BUILDDIR
#   BUILDDIR must be configured with the mock (-Dtests=true, the default, builds
#   BUILDDIR/tests/mock/modellix-mock). It is built first unless MODELLIX_CHECK_INSTALL_NO_REBUILD=1
#   (set by the meson test, which has built it already).
# Prints PASS or FAIL; exit status 0, 1, or 77 (skipped: no pkg-config or C compiler).
set -u

fail() { echo "FAIL: $*"; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 BUILDDIR" >&2; exit 2; }
build=$(cd "$1" 2>/dev/null && pwd) || fail "no build directory $1"
root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not found"; exit 77; }
command -v "$cc" >/dev/null || { echo "SKIP: C compiler $cc not found"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/modellix-install.XXXXXX") || fail "mktemp"
mock_pid=""
# shellcheck disable=SC2317 # called through the trap
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null
        wait "$mock_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# 1. Install into the stage.
stage=$tmp/stage
set --
if [ "${MODELLIX_CHECK_INSTALL_NO_REBUILD:-0}" = 1 ]; then
    set -- --no-rebuild
fi
meson install -C "$build" --destdir "$stage" --quiet "$@" >"$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; fail "meson install --destdir failed"; }

# 2. Compile the smoke program from the staged .pc only (the sysroot prefixes its -I and -L paths).
pc=$(find "$stage" -name modellix.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "no modellix.pc in the staged tree"
PKG_CONFIG_PATH=$(dirname "$pc")
PKG_CONFIG_SYSROOT_DIR=$stage
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
flags=$(pkg-config --cflags --libs modellix) || fail "pkg-config --cflags --libs modellix failed"
libdir=$stage$(PKG_CONFIG_SYSROOT_DIR='' pkg-config --variable=libdir modellix)
[ -e "$libdir/libmodellix.so.1" ] || fail "no libmodellix.so.1 in the staged libdir $libdir"
# shellcheck disable=SC2086 # $flags is a list of compiler arguments
"$cc" -std=c99 -Wall -Wextra -Wpedantic -Werror -o "$tmp/install_smoke" "$root/tests/abi/install_smoke.c" $flags \
    || fail "compiling install_smoke.c with: $flags"
readelf -d "$tmp/install_smoke" | grep -q 'NEEDED.*\[libmodellix\.so\.1\]' \
    || fail "install_smoke does not depend on the soname libmodellix.so.1"

# 3. Start the standalone mock; its first stdout line is its base URL.
mock=$build/tests/mock/modellix-mock
[ -x "$mock" ] || fail "no mock server at $mock (configure with -Dtests=true and build it)"
"$mock" --port 0 --duration-ms 200 >"$tmp/mock.out" 2>"$tmp/mock.err" &
mock_pid=$!
url=""
for _ in $(seq 1 100); do  # up to 5 s
    url=$(head -n 1 "$tmp/mock.out")
    [ -n "$url" ] && break
    kill -0 "$mock_pid" 2>/dev/null || break
    sleep 0.05
done
case $url in
    http://127.0.0.1:*) ;;
    *) cat "$tmp/mock.err"; fail "the mock did not print its base URL (got '$url')" ;;
esac

# 4. Run against the staged library, never the build tree's.
out=$(env -u MODELLIX_API_KEY -u MODELLIX_BASE_URL LD_LIBRARY_PATH="$libdir" \
      timeout 60 "$tmp/install_smoke" sk-smoke "$url" 2>"$tmp/smoke.err")
status=$?
[ "$status" -eq 0 ] || { cat "$tmp/smoke.err"; fail "install_smoke exited $status"; }
case $out in
    http://127.0.0.1:*) ;;
    *) fail "install_smoke printed '$out', not a resource URL on the mock" ;;
esac
LD_LIBRARY_PATH="$libdir" ldd "$tmp/install_smoke" | grep -q "=> $libdir/libmodellix.so.1 " \
    || fail "install_smoke did not load the staged libmodellix.so.1"

echo "PASS: staged install ($(pkg-config --modversion modellix)) built with '$flags', ran against $url"
exit 0
