#!/usr/bin/env bash
# run-fuzz.sh - build the libFuzzer harnesses and run each for a while.
#
#   scripts/run-fuzz.sh [-j JOBS] BUILD_DIR [SECONDS] [HARNESS...]
#
# BUILD_DIR is configured if needed (CC=clang CXX=clang++, -Dfuzz=true, ASan+UBSan) and the fuzz_*
# targets are built. Each harness (default: all of them) then runs for SECONDS (default 60) over a
# writable copy of fuzz/corpus/<h> and fuzz/regressions/<h> in BUILD_DIR/fuzz-work/<h>/corpus; nothing
# is written into the source tree. Crash inputs land in BUILD_DIR/fuzz-work/<h>/artifacts/. JOBS
# harnesses run at once (default 1). Prints the executions, exec/s and coverage of each harness;
# exits 1 on any crash, sanitizer report, timeout or out-of-memory, 2 on a usage or build error.
set -euo pipefail

usage() {
    sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

jobs=1
while getopts "j:h" opt; do
    case $opt in
    j) jobs=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
build=$1
secs=${2:-60}
shift $(($# >= 2 ? 2 : 1))
case $secs in '' | *[!0-9]*) echo "run-fuzz.sh: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;; esac
case $jobs in '' | *[!0-9]* | 0) echo "run-fuzz.sh: JOBS must be a positive number, not '$jobs'" >&2; exit 2 ;; esac

src=$(cd "$(dirname "$0")/.." && pwd)
all="task_response headers validators filename"
harnesses=${*:-$all}
for h in $harnesses; do
    case " $all " in *" $h "*) ;; *) echo "run-fuzz.sh: no harness '$h' (have: $all)" >&2; exit 2 ;; esac
done

# Configure and build.
if [ ! -f "$build/build.ninja" ]; then
    CC=clang CXX=clang++ meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dexamples=false >&2 || exit 2
else
    meson configure "$build" -Dfuzz=true >&2 || exit 2
fi
targets=()
for h in $harnesses; do targets+=("fuzz/fuzz_$h"); done
ninja -C "$build" "${targets[@]}" >&2 || exit 2

build=$(cd "$build" && pwd)
work=$build/fuzz-work
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Run one harness; leaves its log in $work/$h/log and its exit status in $work/$h/status.
run_one() {
    local h=$1 dir=$work/$1
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    local d f
    for d in "$src/fuzz/corpus/$h" "$src/fuzz/regressions/$h"; do
        [ -d "$d" ] || continue
        for f in "$d"/*; do
            [ -f "$f" ] && cp "$f" "$dir/corpus/$(basename "$d")-$(basename "$f")"
        done
    done
    local rc=0
    "$build/fuzz/fuzz_$h" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
    echo "$rc" >"$dir/status"
}

echo "fuzzing for ${secs}s each (${jobs} at a time): $harnesses" >&2
running=0
for h in $harnesses; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_one "$h" &
    running=$((running + 1))
done
wait || true

failed=0
printf '%-15s %12s %10s %8s  %s\n' harness executions exec/s cov result
for h in $harnesses; do
    dir=$work/$h
    log=$dir/log
    rc=$(cat "$dir/status" 2>/dev/null || echo 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
    crashes=$(find "$dir/artifacts" -type f | sort)
    result=ok
    if [ "$rc" != 0 ] || [ -n "$crashes" ]; then
        result="FAILED (exit $rc)"
        failed=1
    fi
    printf '%-15s %12s %10s %8s  %s\n' "$h" "${runs:-?}" "${eps:-?}" "${cov:-?}" "$result"
    if [ "$result" != ok ]; then
        grep -E 'ERROR: |SUMMARY: |property violated|runtime error' "$log" | head -n 5 | sed 's/^/    /'
        for f in $crashes; do echo "    input: $f"; done
        echo "    log:   $log"
    fi
done
exit "$failed"
