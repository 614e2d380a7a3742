#!/bin/sh
# abidiff test (c-style.md 3.11, step 4): the freshly built library must keep the ABI recorded in the
# committed baseline abi/libmodellix.abi. Symbols added in a new version node are allowed
# (--no-added-syms); any other difference fails: a removed symbol, a changed parameter or return type,
# a changed public type. The test fails on ANY non-zero abidiff status, not only on bit 8
# ("incompatible"), because some layout breaks only set bit 4 (c-style.md 1.8).
#
# usage: check_abidiff.sh ABIDIFF BASELINE HEADERS_DIR LIBRARY CC [CC-ARGS...]
#   CC is the C compiler command that built LIBRARY: the system headers that define size_t and the
#   <stdint.h> types are found with it and counted as public (scripts/abi-std-headers.sh), or else
#   abidiff would filter out a parameter changed from, say, size_t to uint32_t as a "private type"
#   change.
#
# The baseline is regenerated only on purpose, with scripts/abi-baseline.sh. It was produced with
# Debian 12's gcc 12.2 and abigail-tools 2.2. A library built by another compiler may differ for
# reasons of the toolchain alone (clang 14 and an ASan build of the same tree did pass when checked).
set -u

if [ $# -lt 5 ]; then
    echo "usage: $0 ABIDIFF BASELINE HEADERS_DIR LIBRARY CC [CC-ARGS...]" >&2
    exit 2
fi
abidiff=$1 baseline=$2 headers=$3 lib=$4
shift 4
std_headers=$("$(dirname "$0")/../../scripts/abi-std-headers.sh" "$@") || {
    echo "FAIL: cannot list the standard headers of the compiler $*"
    exit 1
}
# The system headers the baseline's types come from count too (abidiff matches both sides' locations
# against this list): with only the current compiler's, a clang build would hide a change to a size_t
# that gcc's stddef.h defined in the baseline.
baseline_headers=$(grep -o "filepath='/[^']*'" "$baseline" | sed "s/^filepath='//; s/'\$//")
set --
# shellcheck disable=SC2086 # both lists are one path per line, without spaces
for h in $(printf '%s\n' $std_headers $baseline_headers | sort -u); do set -- "$@" --hf2 "$h"; done

if ! readelf -S "$lib" | grep -q '\.debug_info'; then
    echo "FAIL: $lib has no debug info (abidiff would compare symbol names only); build it with -g"
    exit 1
fi

"$abidiff" --no-added-syms --headers-dir2 "$headers" "$@" --drop-private-types --fail-no-debug-info \
           "$baseline" "$lib"
status=$?
if [ "$status" -eq 0 ]; then
    echo "ok: $lib keeps the ABI of $baseline"
    exit 0
fi

why=""
[ $((status & 1)) -ne 0 ] && why="$why error;"
[ $((status & 2)) -ne 0 ] && why="$why usage error;"
[ $((status & 4)) -ne 0 ] && why="$why ABI change;"
[ $((status & 8)) -ne 0 ] && why="$why incompatible ABI change;"
echo "FAIL: abidiff exited $status:$why see the report above"
echo "If the change is deliberate and compatible (a new symbol in a new node only passes by itself), the"
echo "baseline is regenerated at release time with scripts/abi-baseline.sh, never to silence this test."
exit 1
