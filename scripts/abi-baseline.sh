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

# The headers that define size_t and the <stdint.h> types count as public too (see abi-std-headers.sh),
# for the compiler that built the library.
cc_cmd=$(meson introspect "$build" --targets | python3 -c '
import json, sys
for target in json.load(sys.stdin):
    if target["name"] == "modellix" and target["type"] == "shared library":
        print(" ".join(target["target_sources"][0]["compiler"]))')
[ -n "$cc_cmd" ] || { echo "abi-baseline: cannot find the compiler of libmodellix in $build" >&2; exit 1; }
# shellcheck disable=SC2086 # the compiler command is a list of words
std_headers=$("$root/scripts/abi-std-headers.sh" $cc_cmd)
set --
for h in $std_headers; do set -- "$@" --hf "$h"; done

# --exported-interfaces-only: without it abidw 2.2 writes, for an exported function that another
# translation unit of the library calls (modellix_strerror, modellix_options_new ...), only the caller's
# declaration, unbound to the ELF symbol, and abidiff then misses changes to its parameters.
# --no-corpus-path and --no-comp-dir-path keep the checkout and build paths out of the committed file.
abidw --exported-interfaces-only --headers-dir "$root/include/modellix" "$@" --drop-private-types \
      --no-corpus-path --no-comp-dir-path --out-file "$baseline.tmp" "$lib"
if [ -f "$baseline" ]; then
    echo "abi-baseline: changes against the previous baseline (added symbols included):"
    abidiff --drop-private-types "$baseline" "$baseline.tmp" || true
fi
mv "$baseline.tmp" "$baseline"
echo "abi-baseline: wrote $baseline from $lib"
echo "abi-baseline: commit it together with the CHANGELOG.md entry that lists the ABI changes"
