#!/bin/sh
# memory.sh - confirm bench/memory's heap-per-task figure with valgrind's massif, and list what
# dominates the heap with N tasks in flight.
#
# usage: bench/memory.sh [BUILDDIR] [N]        (defaults: build-bench2, 10000; run from the source root)
#
# Runs BUILDDIR/bench/memory under `valgrind --tool=massif` (the mock it starts runs natively:
# valgrind does not trace children). bench/memory asks massif for detailed snapshots at H0 (before
# the client) and H2 (N tasks accepted and polled once); this script prints
#   - bench/memory's own mallinfo2 figures (from its RESULT line),
#   - massif's heap at H0 and H2 and (H2 - H0) / N, useful bytes and with malloc's overhead,
#   - the top allocation sites at H2: direct callers of the allocator, and the first libmodellix
#     frame on each stack (what in the library caused the allocation),
# and keeps the files in a temporary directory (printed). Bounded: valgrind is killed after 15 min.
set -eu

B=${1:-build-bench2}
N=${2:-10000}
MOCK=$B/tests/mock/modellix-mock
PROG=$B/bench/memory
[ -x "$PROG" ] && [ -x "$MOCK" ] || { echo "memory.sh: build $PROG and $MOCK first (meson setup $B -Dbench=true)"; exit 0; }
command -v valgrind >/dev/null || { echo "memory.sh: valgrind is not installed"; exit 0; }

OUT=$(mktemp -d /tmp/modellix-memory.XXXXXX)
echo "memory.sh: N=$N, files in $OUT"
MEMORY_SNAPSHOT_DIR=$OUT timeout -k 10 900 valgrind --tool=massif --depth=40 --threshold=0.1 \
    --massif-out-file="$OUT/massif.out.%p" "$PROG" "$MOCK" "$N" >"$OUT/memory.txt" 2>"$OUT/valgrind.txt" || true
cat "$OUT/memory.txt"
if [ ! -s "$OUT/memory.massif.h2" ]; then
    echo "memory.sh: no massif snapshot was written; see $OUT/valgrind.txt"
    exit 0
fi

LIBFILES=$(cd "$(dirname "$0")/../lib" && ls *.c | tr '\n' ' ')
python3 - "$OUT/memory.massif.h0" "$OUT/memory.massif.h2" "$N" "$LIBFILES" <<'EOF'
import re, sys

def load(path):
    heap = extra = 0
    tree = []  # (depth, bytes, label)
    stack = []
    with open(path) as f:
        for line in f:
            m = re.match(r'mem_heap_B=(\d+)', line)
            if m:
                heap = int(m.group(1))
            m = re.match(r'mem_heap_extra_B=(\d+)', line)
            if m:
                extra = int(m.group(1))
            m = re.match(r'( *)n(\d+): (\d+) (.*)', line.rstrip('\n'))
            if m:
                depth = len(m.group(1))
                tree.append((depth, int(m.group(3)), m.group(4), int(m.group(2))))
    return heap, extra, tree

h0, x0, _ = load(sys.argv[1])
h2, x2, tree = load(sys.argv[2])
n = int(sys.argv[3])
print()
print("massif: heap H0 %d B (+%d B allocator overhead), H2 %d B (+%d B)" % (h0, x0, h2, x2))
print("massif: (H2-H0)/N = %.0f B useful, %.0f B with the allocator's overhead" %
      ((h2 - h0) / n, (h2 + x2 - h0 - x0) / n))

def short(label):
    label = re.sub(r'^0x[0-9A-Fa-f]+: ', '', label)
    return label[:110]

# Direct callers of the allocator (depth-1 nodes of the tree).
print()
print("top allocation sites at H2 (direct callers of malloc/calloc/realloc), bytes and bytes per task:")
rows = [(b, l) for d, b, l, _ in tree if d == 1]
for b, l in sorted(rows, reverse=True)[:12]:
    print("  %12d  %7.0f  %s" % (b, b / n, short(l)))

# Attribute every leaf's bytes to the libmodellix frame nearest the allocation (the first frame, going
# up from the allocator, whose source file is one of lib/*.c, skipping the generic helpers of util.c),
# with the allocator's direct caller.
libfiles = set(sys.argv[4].split())
stack = []
by_lib = {}
for d, b, l, kids in tree:
    del stack[d:]
    stack.append(short(l))
    if kids == 0 and d >= 1:
        near = "(no libmodellix frame)"
        for s in stack[1:]:
            m = re.search(r'\(([A-Za-z0-9_]+\.c):\d+\)', s)
            if m and m.group(1) in libfiles and m.group(1) != "util.c":  # util.c: generic helpers
                near = s
                break
        k = (near, stack[1])
        by_lib[k] = by_lib.get(k, 0) + b
print()
print("the same bytes by the libmodellix frame nearest the allocation (<- the allocator's direct caller):")
for (near, alloc), b in sorted(by_lib.items(), key=lambda kv: -kv[1])[:15]:
    print("  %12d  %7.0f  %s" % (b, b / n, near))
    if alloc != near:
        print("  %12s  %7s    <- %s" % ("", "", alloc))
EOF
echo
echo "full tree: ms_print $OUT/memory.massif.h2"
