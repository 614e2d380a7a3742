#!/usr/bin/env bash
# Consumers of an installed libmodellix, the way a CMake user builds them: stage `meson install
# --destdir`, then configure, build and run
#   find-package/  find_package(modellix 1.1 REQUIRED) + modellix::modellix (the shared library)
#   find-package/  again with modellix::modellix_static, when the build installs the static archive
#   pkg-config/    pkg_check_modules(MODELLIX REQUIRED IMPORTED_TARGET modellix>=1.1), shared builds
# each one compiling tests/abi/install_smoke.c and running it against the standalone mock; and
#   version-check/ find_package(modellix <v>) accepts this version, its major.minor and a range that
#                  holds it, and refuses the next minor, the next major, a range that excludes it and
#                  a consumer of another pointer size.
# It also checks modellix.pc's libcurl floor.
#
# usage: tests/consumer/cmake-consumer.sh BUILDDIR MOCK
# Prints PASS or FAIL; exit status 0, 1, or 77 (skipped: cmake is not installed).
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ $# -eq 2 ] || { echo "usage: $0 BUILDDIR MOCK" >&2; exit 2; }
command -v cmake >/dev/null || { echo "SKIP: cmake not found (apt-get install cmake)"; exit 77; }
build=$(cd "$1" && pwd) || fail "no build directory $1"
mock=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/modellix-cmake.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# 1. The staged install and where things are in it.
stage=$tmp/stage
meson install -C "$build" --destdir "$stage" --no-rebuild >"$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; fail "meson install --destdir failed"; }
read -r prefix libdir version default_library < <(meson introspect "$build" --buildoptions --projectinfo 2>/dev/null |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
o = {x["name"]: x["value"] for x in d["buildoptions"]}
print(o["prefix"], o["libdir"], d["projectinfo"]["version"], o["default_library"])') || fail "meson introspect"
case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
slibdir=$stage$libdir
cmakedir=$slibdir/cmake/modellix
for f in modellixConfig.cmake modellixConfigVersion.cmake; do
    [ -f "$cmakedir/$f" ] || fail "$f is not installed in $libdir/cmake/modellix"
done
grep -q "PACKAGE_PREFIX_DIR" "$cmakedir/modellixConfig.cmake" || fail "the config does not locate its prefix"
grep -Eq '^Requires.private:.*libcurl >= *7\.85\.0' "$slibdir/pkgconfig/modellix.pc" \
    || fail "modellix.pc does not require libcurl >= 7.85.0: $(grep Requires "$slibdir/pkgconfig/modellix.pc")"

# 2. One consumer: configure + build with cmake, run against the mock, check what it linked.
# $1 = name, $2 = project dir, $3 = "shared" or "static", the rest = extra cmake arguments
consumer() {
    local name=$1 dir=$2 kind=$3
    shift 3
    local b=$tmp/$name out
    cmake -S "$dir" -B "$b" -DCMAKE_PREFIX_PATH="$stage$prefix" \
          -DMODELLIX_CONSUMER_SOURCE="$root/tests/abi/install_smoke.c" "$@" >"$tmp/$name.log" 2>&1 \
        || { cat "$tmp/$name.log"; fail "$name: cmake configure failed"; }
    cmake --build "$b" >>"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; fail "$name: build failed"; }
    out=$(env -u MODELLIX_API_KEY -u MODELLIX_BASE_URL LD_LIBRARY_PATH="$slibdir" \
          "$root/scripts/with-mock.sh" "$mock" --duration-ms 100 -- \
          sh -c 'exec timeout 60 "$0" "$MODELLIX_API_KEY" "$MODELLIX_BASE_URL"' "$b/consumer" 2>"$tmp/$name.err")
    case $out in
        http://127.0.0.1:*) ;;
        *) cat "$tmp/$name.err"; fail "$name: the consumer printed '$out', not a resource URL on the mock" ;;
    esac
    if [ "$kind" = shared ]; then
        readelf -d "$b/consumer" | grep -q 'NEEDED.*\[libmodellix\.so\.1\]' || fail "$name: not linked to libmodellix.so.1"
        LD_LIBRARY_PATH="$slibdir" ldd "$b/consumer" | grep -q "=> $slibdir/libmodellix.so.1 " \
            || fail "$name: did not load the staged libmodellix.so.1"
    else
        ! readelf -d "$b/consumer" | grep -q 'libmodellix' || fail "$name: depends on a shared libmodellix"
        nm "$b/consumer" | grep -q ' T modellix_task_submit$' || fail "$name: modellix_task_submit is not linked in"
    fi
    echo "ok: $name ($kind) built and ran: $out"
}

ran=0
if [ "$default_library" != static ]; then
    consumer find-package-shared "$here/find-package" shared
    # The staged modellix.pc, its prefix moved to where the stage put it: what a custom --prefix gives
    # (PKG_CONFIG_SYSROOT_DIR would also prefix the -I paths of libcurl's .pc, outside the stage).
    mkdir -p "$tmp/pc"
    sed "s|^prefix=.*|prefix=$stage$prefix|" "$slibdir/pkgconfig/modellix.pc" >"$tmp/pc/modellix.pc"
    PKG_CONFIG_PATH=$tmp/pc consumer pkg-config "$here/pkg-config" shared
    ran=$((ran + 2))
fi
if [ "$default_library" != shared ]; then
    [ -f "$slibdir/libmodellix.a" ] || fail "default_library=$default_library but no libmodellix.a is installed"
    if [ "$default_library" = static ]; then
        consumer find-package-static "$here/find-package" static
    else
        consumer find-package-static "$here/find-package" static -DMODELLIX_TARGET=modellix::modellix_static
    fi
    ran=$((ran + 1))
fi

# 3. The version file: this version and its major.minor are accepted, the rest refused.
IFS=. read -r major minor _ <<<"$version"
asks=("$version" "$major.$minor" "$major.0" "$major.$((minor + 1))" "$((major + 1)).0"
      "$major.0...<$major.$minor" "$major.0...$((major + 1)).0")
wants=("found $version" "found $version" "found $version" "not found" "not found"
       "not found" "found $version")
asks_list=$(IFS=';'; echo "${asks[*]}")
cmake -S "$here/version-check" -B "$tmp/vc" -DCMAKE_PREFIX_PATH="$stage$prefix" -DMODELLIX_ASKS="$asks_list" \
    >"$tmp/vc.log" 2>&1 || { cat "$tmp/vc.log"; fail "the version-check project failed"; }
for i in "${!asks[@]}"; do
    got=$(sed -n "s/^-- modellix ${asks[$i]}: //p" "$tmp/vc.log")
    [ "$got" = "${wants[$i]}" ] || fail "find_package(modellix ${asks[$i]}): expected '${wants[$i]}', got '$got'"
done
got=$(sed -n "s/^-- modellix $version (sizeof(void \*) 2): //p" "$tmp/vc.log")
[ "$got" = "not found" ] || fail "a consumer with 2-byte pointers: expected 'not found', got '$got'"

echo "PASS: $ran CMake consumers of the staged $version install ($default_library), version checks"
exit 0
