#!/usr/bin/env bash
# libmodellix as a meson subproject, the way a parent project uses it: a tiny parent project
# (tests/consumer/meson-parent) in a temporary directory with subprojects/libmodellix linked to this
# source tree, configured with default_library=$3 (shared or static), built, and checked:
#  - nothing of libmodellix is registered in the parent's `meson test --list`;
#  - neither cmocka nor libmicrohttpd is a dependency of the configured project;
#  - libmodellix builds only its library (no tests, examples, tools, mock, fuzzers, benchmarks, nor the
#    archive of internal symbols its tests link);
#  - no -Werror is imposed (the subproject's werror option is off, no -Werror in its compile commands);
#  - the parent's program links libmodellix (shared: NEEDED libmodellix.so.1; static: no NEEDED) and
#    completes a task against the standalone mock.
#
# usage: tests/consumer/meson-subproject.sh MOCK shared|static
# Prints PASS or FAIL; exit status 0 or 1.
set -u
fail() { echo "FAIL: $*"; exit 1; }
[ $# -eq 2 ] || { echo "usage: $0 MOCK shared|static" >&2; exit 2; }
mock=$1
kind=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/modellix-subproject.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

parent=$tmp/parent
cp -r "$here/meson-parent" "$parent"
mkdir "$parent/subprojects"
ln -s "$root" "$parent/subprojects/libmodellix"
b=$parent/build
# The environment's compiler flags stay out: the point is what libmodellix imposes by itself.
env -u CFLAGS -u LDFLAGS meson setup "$b" "$parent" -Ddefault_library="$kind" >"$tmp/setup.log" 2>&1 \
    || { cat "$tmp/setup.log"; fail "meson setup of the parent failed"; }
info=$b/meson-info

# Dependencies, options, targets and tests of the configured parent.
python3 - "$info" "$kind" <<'PY' || fail "the configured parent project (above)"
import json, os, sys
info, kind = sys.argv[1], sys.argv[2]
def load(name):
    with open(os.path.join(info, name)) as f:
        return json.load(f)
errors = []
deps = sorted(d["name"] for d in load("intro-dependencies.json"))
for bad in ("cmocka", "libmicrohttpd"):
    if bad in deps:
        errors.append(f"{bad} is a dependency of the parent: {deps}")
opts = {o["name"]: o["value"] for o in load("intro-buildoptions.json")}
if opts.get("libmodellix:werror", False):
    errors.append("the subproject's werror option is on")
if opts.get("libmodellix:default_library", opts.get("default_library")) != kind:
    errors.append(f"libmodellix:default_library is {opts.get('libmodellix:default_library')}, not {kind}")
tests = [t["name"] for t in load("intro-tests.json")]
if tests != ["parent-own-test"]:
    errors.append(f"the parent's tests are {tests}, not only its own")
if load("intro-benchmarks.json"):
    errors.append(f"benchmarks are registered: {[t['name'] for t in load('intro-benchmarks.json')]}")
sub = sorted(t["name"] for t in load("intro-targets.json")
             if t["subproject"] == "libmodellix" and t["type"] in ("executable", "shared library", "static library", "both libraries"))
print("libmodellix targets:", sub)
extra = [n for n in sub if n not in ("modellix", "modellix_internal")]
if extra:
    errors.append(f"libmodellix builds more than its library: {extra}")
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY

ninja -C "$b" >"$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log"; fail "building the parent failed"; }
# The archive of internal symbols serves libmodellix's own tests and fuzzers only: never built here.
[ -z "$(find "$b" -name 'libmodellix_internal.a' -print -quit)" ] \
    || fail "the parent's build made libmodellix_internal.a (only libmodellix's tests need it)"
python3 - "$b/compile_commands.json" <<'PY' || fail "a libmodellix source is compiled with -Werror"
import json, sys
cmds = [c for c in json.load(open(sys.argv[1])) if "subprojects/libmodellix/" in c["file"]]
bad = [c["file"] for c in cmds if "-Werror" in c["command"].split()]
print(f"{len(cmds)} libmodellix compile commands, {len(bad)} with -Werror")
sys.exit(1 if bad or not cmds else 0)
PY

exe=$b/parent
if [ "$kind" = shared ]; then
    readelf -d "$exe" | grep -q 'NEEDED.*\[libmodellix\.so\.1\]' || fail "parent is not linked to libmodellix.so.1"
else
    ! readelf -d "$exe" | grep -q 'libmodellix' || fail "parent depends on a shared libmodellix"
    nm "$exe" | grep -q ' T modellix_task_submit$' || fail "modellix_task_submit is not linked into parent"
fi
meson test -C "$b" --no-rebuild >"$tmp/test.log" 2>&1 || { cat "$tmp/test.log"; fail "the parent's meson test failed"; }
grep -q '^Ok: *1 *$' "$tmp/test.log" || { cat "$tmp/test.log"; fail "the parent's meson test did not run exactly its one test"; }
out=$(env -u MODELLIX_API_KEY -u MODELLIX_BASE_URL "$root/scripts/with-mock.sh" "$mock" --duration-ms 100 -- \
      timeout 60 "$exe" 2>"$tmp/run.err")
case $out in
    http://127.0.0.1:*) ;;
    *) cat "$tmp/run.err"; fail "the parent's program printed '$out', not a resource URL on the mock" ;;
esac
echo "PASS: parent project with libmodellix as a $kind subproject: built, 1 test of its own, ran: $out"
