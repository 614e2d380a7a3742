#!/bin/sh
# cpu_per_exchange.sh - instructions per HTTP exchange, libmodellix against raw libcurl multi.
#
# usage: bench/cpu_per_exchange.sh [BUILDDIR] [N] [N_SMALL] [REPEATS]
#        (defaults: build-bench2 1000 100 1; run from the source root)
#
# Runs bench/throughput and bench/baseline_curl (with and without FRESH_CONNECT on POST) under
# `valgrind --tool=callgrind` for N tasks (and N_SMALL tasks). Each program starts its own
# modellix-mock, which runs natively (valgrind does not trace children), so only the client process
# is counted. Exchanges come from the mock's counters (the program's RESULT line).
#
#   Ir/exchange           total Ir of the client process / exchanges (program start-up, libcurl and
#                         OpenSSL initialisation and the two counter requests included), at N
#   marginal Ir/exchange  (Ir(N) - Ir(N_SMALL)) / (exchanges(N) - exchanges(N_SMALL)): the fixed costs
#                         cancel out
#   ratio                 libmodellix / baseline with FRESH_CONNECT (the fair comparison; goal <= 1.15)
#
# Ir varies a little from run to run (the loops wake up on timers); with REPEATS > 1 the median of
# the runs is used. Always exits 0. Bounded: each valgrind run is killed after 10 minutes.
set -u

B=${1:-build-bench2}
N=${2:-1000}
NS=${3:-100}
R=${4:-1}
MOCK=$B/tests/mock/modellix-mock
for p in "$MOCK" "$B/bench/throughput" "$B/bench/baseline_curl"; do
    [ -x "$p" ] || { echo "cpu_per_exchange.sh: build $p first (meson setup $B -Dbench=true)"; exit 0; }
done
command -v valgrind >/dev/null || { echo "cpu_per_exchange.sh: valgrind is not installed"; exit 0; }

OUT=$(mktemp -d /tmp/modellix-cpu.XXXXXX)
echo "cpu_per_exchange.sh: N=$N, N_SMALL=$NS, $R run(s) each; files in $OUT"

# run NAME PROGRAM TASKS EXTRA...: prints "IR EXCHANGES" (medians over R runs)
run() {
    name=$1 prog=$2 n=$3
    shift 3
    i=1
    : >"$OUT/$name.$n.runs"
    while [ "$i" -le "$R" ]; do
        f="$OUT/$name.$n.$i"
        timeout -k 10 600 valgrind --tool=callgrind --callgrind-out-file="$f.cg.%p" \
            "$B/bench/$prog" "$MOCK" "$n" "$@" >"$f.txt" 2>"$f.err"
        ir=$(cat "$f".cg.* 2>/dev/null | sed -n 's/^summary: *//p' | sort -n | tail -1)
        ex=$(sed -n 's/^RESULT .* exchanges=\([0-9]*\) .*/\1/p' "$f.txt" | head -1)
        bad=$(sed -n 's/^RESULT .* not_success=\([0-9]*\).*/\1/p' "$f.txt" | head -1)
        echo "${ir:-0} ${ex:-0} ${bad:-?}" >>"$OUT/$name.$n.runs"
        i=$((i + 1))
    done
    # median by Ir
    sort -n "$OUT/$name.$n.runs" | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

printf '%-28s %7s %10s %15s %12s %20s %8s %12s\n' program tasks exchanges "total Ir" Ir/exchange "marginal Ir/exchange" ratio not_success
base_total="" base_marg=""
for variant in "baseline_curl fresh=1:baseline_curl:fresh=1" "baseline_curl fresh=0:baseline_curl:fresh=0" \
               "libmodellix:throughput:repeats=1"; do
    label=${variant%%:*}
    rest=${variant#*:}
    prog=${rest%%:*}
    extra=${rest#*:}
    tag=$(echo "$label" | tr ' =' '__')
    set -- $(run "$tag" "$prog" "$NS" $extra)
    ir_s=$1 ex_s=$2
    set -- $(run "$tag" "$prog" "$N" $extra)
    ir=$1 ex=$2 bad=$3
    line=$(awk -v ir="$ir" -v ex="$ex" -v irs="$ir_s" -v exs="$ex_s" 'BEGIN {
        pe = ex > 0 ? ir / ex : 0; m = (ex - exs) > 0 ? (ir - irs) / (ex - exs) : 0;
        printf "%.0f %.0f", pe, m }')
    pe=${line% *}
    mg=${line#* }
    if [ "$label" = "baseline_curl fresh=1" ]; then
        base_total=$pe
        base_marg=$mg
    fi
    ratio=$(awk -v a="$pe" -v b="$base_total" -v c="$mg" -v d="$base_marg" 'BEGIN {
        if (b > 0 && d > 0) printf "%.3f/%.3f", a / b, c / d; else print "-" }')
    printf '%-28s %7s %10s %15s %12s %20s %8s %12s\n' "$label" "$N" "$ex" "$ir" "$pe" "$mg" "${ratio%%/*}" "$bad"
    echo "CPU program=$(echo "$label" | tr ' ' '_') tasks=$N exchanges=$ex ir=$ir ir_per_exchange=$pe tasks_small=$NS exchanges_small=$ex_s ir_small=$ir_s marginal_ir_per_exchange=$mg ratio_total_vs_baseline_fresh=${ratio%%/*} ratio_marginal_vs_baseline_fresh=${ratio#*/} not_success=$bad" >>"$OUT/cpu.lines"
done
echo
cat "$OUT/cpu.lines"
echo
echo "goal: libmodellix Ir/exchange <= 1.15 x baseline_curl fresh=1 (ratio column: total; the CPU lines also give the marginal ratio)"
echo "profiles: callgrind_annotate $OUT/<program>.$N.1.cg.<pid>"
