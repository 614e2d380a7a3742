#!/bin/sh
# throughput_compare.sh - libmodellix against the raw libcurl baseline, exchanges per second, median
# of interleaved rounds (so that load from other processes hits all programs alike).
#
# usage: bench/throughput_compare.sh [BUILDDIR] [N] [ROUNDS] [INFLIGHT]
#        (defaults: build-bench2 1000 7 256; run from the source root)
#
# Each round runs, one after the other, bench/throughput, bench/baseline_curl fresh=1 (FRESH_CONNECT
# on every POST, as libmodellix) and bench/baseline_curl fresh=0 (POSTs reuse connections), each with
# a one-run measurement against a mock it starts itself. Prints the median over the rounds of
# exchanges/s, tasks/s, wall time and client CPU per exchange, and libmodellix / baseline (fresh=1)
# exchanges/s (goal >= 0.9). Always exits 0; each program run is killed after 10 minutes.
set -u

B=${1:-build-bench2}
N=${2:-1000}
R=${3:-7}
F=${4:-256}
MOCK=$B/tests/mock/modellix-mock
for p in "$MOCK" "$B/bench/throughput" "$B/bench/baseline_curl"; do
    [ -x "$p" ] || { echo "throughput_compare.sh: build $p first (meson setup $B -Dbench=true)"; exit 0; }
done
OUT=$(mktemp -d /tmp/modellix-tput.XXXXXX)
echo "throughput_compare.sh: N=$N, $R interleaved rounds, in flight $F; files in $OUT; load: $(cut -d' ' -f1-3 /proc/loadavg)"

i=1
while [ "$i" -le "$R" ]; do
    timeout -k 10 600 "$B/bench/throughput" "$MOCK" "$N" inflight="$F" >>"$OUT/libmodellix.txt" 2>>"$OUT/err.txt"
    timeout -k 10 600 "$B/bench/baseline_curl" "$MOCK" "$N" inflight="$F" fresh=1 >>"$OUT/baseline_fresh1.txt" 2>>"$OUT/err.txt"
    timeout -k 10 600 "$B/bench/baseline_curl" "$MOCK" "$N" inflight="$F" fresh=0 >>"$OUT/baseline_fresh0.txt" 2>>"$OUT/err.txt"
    i=$((i + 1))
done

# median KEY FILE: the median of KEY=value over the RESULT lines of FILE
median() {
    sed -n "s/^RESULT .* $1=\([0-9.]*\).*/\1/p" "$2" | sort -g | awk '{a[NR]=$1} END {
        if (NR == 0) { print 0; exit }
        if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2 }'
}
total() {
    sed -n "s/^RESULT .* $1=\([0-9]*\).*/\1/p" "$2" | awk '{s+=$1} END {print s+0}'
}

printf '%-24s %6s %7s %10s %12s %10s %10s %16s\n' program tasks rounds wall_s exchanges/s tasks/s cpu_us/ex "not_success(all)"
base=0
for p in baseline_fresh1 baseline_fresh0 libmodellix; do
    f=$OUT/$p.txt
    x=$(median exchanges_per_s "$f")
    [ "$p" = baseline_fresh1 ] && base=$x
    printf '%-24s %6s %7s %10s %12s %10s %10s %16s\n' "$p" "$N" "$(grep -c '^RESULT' "$f")" "$(median wall_s "$f")" "$x" \
        "$(median tasks_per_s "$f")" "$(median cpu_us_per_exchange "$f")" "$(total not_success "$f")"
    echo "TPUT program=$p tasks=$N rounds=$R inflight=$F wall_s=$(median wall_s "$f") exchanges_per_s=$x tasks_per_s=$(median tasks_per_s "$f") cpu_us_per_exchange=$(median cpu_us_per_exchange "$f") not_success_total=$(total not_success "$f")" >>"$OUT/lines"
done
lib=$(median exchanges_per_s "$OUT/libmodellix.txt")
b0=$(median exchanges_per_s "$OUT/baseline_fresh0.txt")
echo
cat "$OUT/lines"
awk -v l="$lib" -v b="$base" -v b0="$b0" 'BEGIN {
    if (b > 0) printf "libmodellix / baseline (fresh=1) exchanges/s = %.3f  [goal >= 0.9: %s]\n", l / b, (l / b >= 0.9) ? "MET" : "missed";
    if (b0 > 0) printf "libmodellix / baseline (fresh=0, POSTs reuse connections) = %.3f\n", l / b0 }'
