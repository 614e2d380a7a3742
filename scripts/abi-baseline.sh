#!/bin/sh
# Regenerate the committed ABI baseline, abi/libmodellix.abi, from a build of the current tree.
#
# Run this ON PURPOSE ONLY: when cutting a release, or when the API has changed deliberately (a new
# version node in lib/libmodellix.map). Never run it to make the abidiff test pass: a failing abidiff
# test means the ABI changed, and the fix is in the code. Commit the new baseline in the same commit as
# the CHANGELOG.md entry whose "ABI" subsection lists the added symbols and their node (c-style.md 3.11).
#
# The baseline depends on the toolchain (abidw describes the DWARF the compiler wrote): generate it with
# Debian 12's gcc and abigail-tools 2.2, from a debugoptimized build (it needs debug info), the same
# setup the abidiff test runs with in CI.
#
# usage: scripts/abi-baseline.sh [BUILDDIR]
#   BUILDDIR defaults to build-abi-baseline; it is set up (buildtype debugoptimized, gcc) if missing.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-abi-baseline}
case $build in /*) ;; *) build=$root/$build ;; esac
baseline=$root/abi/libmodellix.abi

command -v abidw >/dev/null || { echo "abi-baseline: abidw not found (apt-get install abigail-tools)" >&2; exit 1; }
if [ ! -d "$build/meson-info" ]; then
    CC=${CC:-gcc} meson setup "$build" "$root" --buildtype=debugoptimized -Dtests=false -Dexamples=false
fi
meson compile -C "$build"

lib=$(readlink -f "$build/lib/libmodellix.so.1")
[ -f "$lib" ] || { echo "abi-baseline: $build/lib/libmodellix.so.1 not found" >&2; exit 1; }
if ! readelf -S "$lib" | grep -q '\.debug_info'; then
    echo "abi-baseline: $lib has no debug info; use buildtype debugoptimized (or debug)" >&2
    exit 1
fi
if ! readelf -p .comment "$lib" | grep -q 'GCC: (Debian 12'; then
    echo "abi-baseline: warning: $lib was not built by Debian 12's gcc; the abidiff test may then" >&2
    echo "abi-baseline: report differences that come from the toolchain rather than from the code" >&2
fi

# --no-corpus-path and --no-comp-dir-path keep the checkout and build paths out of the committed file.
abidw --headers-dir "$root/include/modellix" --drop-private-types --no-corpus-path --no-comp-dir-path \
      --out-file "$baseline.tmp" "$lib"
if [ -f "$baseline" ]; then
    echo "abi-baseline: changes against the previous baseline (added symbols included):"
    abidiff --drop-private-types "$baseline" "$baseline.tmp" || true
fi
mv "$baseline.tmp" "$baseline"
echo "abi-baseline: wrote $baseline from $lib"
echo "abi-baseline: commit it together with the CHANGELOG.md entry that lists the ABI changes"
