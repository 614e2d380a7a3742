#!/bin/sh
# Build the Debian packages from a copy of the tree and check them, the way a packager would:
#   dpkg-buildpackage -us -uc -b  (writes the .debs next to the copy, in a temporary directory, so
#                                  nothing is written outside it)
#   lintian                       (errors fail; warnings are listed)
#   dpkg-deb --contents           (each package holds what it should)
# usage: scripts/check-deb.sh [OUTDIR]   (OUTDIR: where to copy the .debs and logs; default: none)
# Prints PASS or FAIL; exit status 0 or 1.
set -u
fail() { echo "FAIL: $*"; exit 1; }
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-}
for t in dpkg-buildpackage lintian dh; do
    command -v "$t" >/dev/null || fail "$t not found (scripts/bootstrap.sh --ci installs devscripts debhelper lintian dpkg-dev)"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/modellix-deb.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# The tracked files only (no build directories), as a source package would have them.
src=$tmp/libmodellix
mkdir "$src"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z | xargs -0 tar -cf - ) | tar -xf - -C "$src" || fail "copying the tree"
else
    (cd "$root" && tar --exclude='./build*' --exclude=./.git -cf - .) | tar -xf - -C "$src" || fail "copying the tree"
fi

start=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 \
    || { tail -n 60 "$tmp/build.log"; fail "dpkg-buildpackage -us -uc -b failed"; }
echo "dpkg-buildpackage: $(($(date +%s) - start)) s"
changes=$(ls "$tmp"/*.changes 2>/dev/null | head -n 1)
[ -n "$changes" ] || fail "no .changes file"
ls "$tmp"/*.deb | sed 's|.*/||'

# What each package must contain.
has() { # $1 = package name, $2 = path regex
    deb=$(ls "$tmp"/"$1"_*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || fail "no package $1"
    dpkg-deb --contents "$deb" | awk '{print $6}' | grep -Eq "$2" || fail "$1 has no $2"
}
has libmodellix1 '^\./usr/lib/[^/]+/libmodellix\.so\.1$'
has libmodellix-dev '^\./usr/include/modellix/modellix\.h$'
has libmodellix-dev '^\./usr/lib/[^/]+/libmodellix\.so$'
has libmodellix-dev '^\./usr/lib/[^/]+/pkgconfig/modellix\.pc$'
has libmodellix-dev '^\./usr/lib/[^/]+/cmake/modellix/modellixConfig\.cmake$'
has libmodellix-dev '^\./usr/share/man/man3/modellix_task_submit\.3\.gz$'
has modellix-tools '^\./usr/bin/modellix$'
has modellix-tools '^\./usr/bin/modellix-mock$'
has modellix-tools '^\./usr/share/man/man1/modellix-mock\.1\.gz$'
has python3-modellix '^\./usr/lib/python3/dist-packages/modellix/__init__\.py$'
dpkg-deb --info "$(ls "$tmp"/libmodellix1_*.deb)" symbols >"$tmp/symbols" 2>/dev/null \
    && grep -q '^ modellix_task_submit@MODELLIX_1.0 1.0.0$' "$tmp/symbols" || fail "libmodellix1 has no symbols file"

lintian --tag-display-limit 0 "$changes" >"$tmp/lintian.log" 2>&1
errors=$(grep -c '^E: ' "$tmp/lintian.log")
warnings=$(grep -c '^W: ' "$tmp/lintian.log")
grep -E '^(E|W): ' "$tmp/lintian.log"
if [ -n "$out" ]; then
    mkdir -p "$out" && cp "$tmp"/*.deb "$tmp"/*.changes "$tmp/build.log" "$tmp/lintian.log" "$out"/
fi
[ "$errors" -eq 0 ] || fail "lintian: $errors errors, $warnings warnings"
echo "PASS: 4 packages built, lintian: 0 errors, $warnings warnings"
