#!/usr/bin/env bash
# Host-time emulator benchmark: runs the shared emulator benchmark kit
# (shared/bench/emu) with tsxen as a column beside native, QEMU TCG, v86 and
# v86's interpreter, and writes the tables into benchmarks/results/.
# See benchmarks/host/README.md.
#
# usage: benchmarks/host/run.sh [options] [kit options]
#   (or: npm run bench -- [options] [kit options])
# Options of this script:
#   --tsxen-scale F     iteration scale of the tsxen column (default 0.1)
#   --nojit-tsxen-scale F
#                       scale of the tsxen-nojit column, `tsxen run --no-jit`
#                       (default 0.02; 0 leaves the column out)
#   --tsxen-timing marker|wall
#                       how the tsxen columns are timed (default marker: the
#                       arrival of the BENCH start/done lines, which tsxen
#                       writes as the guest ends them; wall: process wall time
#                       minus the null image's; see README.md)
#   --no-tsxen          leave both tsxen columns out (anchors only)
#   --kit DIR           the benchmark kit (default: ../shared/bench/emu beside
#                       the repository, else /work/shared/bench/emu; or $BENCH_KIT)
#   --out DIR           results folder (default benchmarks/results/<UTC time>)
#   --no-latest         do not rewrite benchmarks/results/latest.md
#   --no-project-build  do not run `npm run build` first
# Kit options, passed through to the kit's run.sh (see its --help):
#   --runs N (default 3)   --workloads "coremark sieve mem paging int80 int80u" (default all)
#   --anchors "native32 qemu v86 v86-nojit" (this default; native64 replaces
#             native32 where the kernel cannot run 32-bit programs)
#   --nojit-scale F   --count qemu|perf|none   --no-build   --column NAME SCALE CMD
# e.g. npm run bench -- --runs 1 --workloads "coremark int80"
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
KITCOPY="$HERE/.kit"        # git-ignored (benchmarks/.gitignore)
SNAP="$KITCOPY/tsxen"       # frozen copy of the compiled emulator

TSXEN_SCALE=0.1
NOJIT_TSXEN_SCALE=0.02
TSXEN_TIMING=marker
ANCHORS="native32 qemu v86 v86-nojit"
USER_ANCHORS=0
WITH_TSXEN=1
KIT="${BENCH_KIT:-}"
OUT=""
LATEST=1
PROJECT_BUILD=1
PASS=()
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        --tsxen-scale) TSXEN_SCALE="$2"; shift 2 ;;
        --nojit-tsxen-scale) NOJIT_TSXEN_SCALE="$2"; shift 2 ;;
        --tsxen-timing) TSXEN_TIMING="$2"; shift 2 ;;
        --no-tsxen) WITH_TSXEN=0; shift ;;
        --anchors) ANCHORS="$2"; USER_ANCHORS=1; shift 2 ;;
        --kit) KIT="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --no-latest) LATEST=0; shift ;;
        --no-project-build) PROJECT_BUILD=0; shift ;;
        -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
        --column) PASS+=("$1" "$2" "$3" "$4"); shift 4 ;;
        --runs|--workloads|--emulator|--emu-scale|--nojit-scale|--v86-bios|--count)
            PASS+=("$1" "$2"); shift 2 ;;
        --no-build) PASS+=("$1"); shift ;;
        *) echo "benchmarks/host/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

# ------------------------------------------------------------ the kit
if [ -z "$KIT" ]; then
    for d in "$ROOT/../shared/bench/emu" /work/shared/bench/emu; do
        if [ -f "$d/run.sh" ]; then KIT="$d"; break; fi
    done
fi
if [ -z "$KIT" ] || [ ! -f "$KIT/run.sh" ] || [ ! -f "$KIT/tools/bench.mjs" ]; then
    echo "benchmarks/host/run.sh: benchmark kit not found (looked for shared/bench/emu; use --kit DIR or BENCH_KIT)" >&2
    exit 2
fi
KIT=$(cd "$KIT" && pwd)
need() { command -v "$1" >/dev/null 2>&1 || echo "benchmarks/host/run.sh: warning: $1 not found ($2)" >&2; }
need gcc "needed to build the guest images"
need qemu-system-i386 "no QEMU column and no instruction counts; apt-get install qemu-system-x86"
case "$TSXEN_TIMING" in wall|marker) ;; *) echo "benchmarks/host/run.sh: --tsxen-timing wall|marker" >&2; exit 2 ;; esac

# Copy the kit (it is read-only and must stay untouched) into the ignored
# build folder.  Its build/ and v86/node_modules/ are kept between runs.
mkdir -p "$KITCOPY/v86"
for f in run.sh build.sh RESULTS.md src tools v86/run-v86.mjs v86/package.json v86/package-lock.json; do
    [ -e "$KIT/$f" ] || continue
    rm -rf "${KITCOPY:?}/$f"
    cp -r "$KIT/$f" "$KITCOPY/$f"
    chmod -R u+w "$KITCOPY/$f"
done
KIT_SUM=$(cd "$KIT" && find run.sh build.sh src tools v86/run-v86.mjs v86/package.json -type f -print0 2>/dev/null \
          | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)

# ------------------------------------------------------------ tsxen
if [ "$WITH_TSXEN" = 1 ]; then
    if [ "$PROJECT_BUILD" = 1 ]; then
        (cd "$ROOT" && npm run -s build) || { echo "benchmarks/host/run.sh: npm run build failed" >&2; exit 1; }
    fi
    [ -f "$ROOT/build/src/cli/main.js" ] || { echo "benchmarks/host/run.sh: tsxen is not built (npm run build)" >&2; exit 1; }
    # Freeze the compiled emulator so that rebuilds during the run (others
    # work in src/) cannot change what is measured half way.
    rm -rf "$SNAP"
    mkdir -p "$SNAP/bin" "$SNAP/build"
    cp -r "$ROOT/build/src" "$SNAP/build/src"
    cp "$ROOT/bin/tsxen" "$SNAP/bin/tsxen"
    cp "$ROOT/package.json" "$SNAP/package.json"
    TSXEN_CMD="node $SNAP/bin/tsxen run {image}"
    [ "$TSXEN_TIMING" = marker ] || TSXEN_CMD="bash $HERE/at-exit.sh $TSXEN_CMD"
    COLS=(--column tsxen "$TSXEN_SCALE" "$TSXEN_CMD")
    # The interpreter alone (no JIT), if this build's CLI has --no-jit.
    if awk -v s="$NOJIT_TSXEN_SCALE" 'BEGIN { exit !(s + 0 > 0) }' &&
       grep -q -- '--no-jit' "$SNAP/build/src/cli/main.js" "$SNAP/build/src/cli/run.js" 2>/dev/null; then
        COLS+=(--column tsxen-nojit "$NOJIT_TSXEN_SCALE" "$TSXEN_CMD --no-jit")
    fi
    PASS=("${COLS[@]}" "${PASS[@]}")
fi

# Can this kernel run 32-bit programs (the native32 twin)?  Some VM kernels
# are built without IA-32 emulation; then native64 is the native anchor.
NOTE32=""
if [[ " $ANCHORS " == *" native32 "* ]]; then
    if ! { printf 'int main(void){return 0;}\n' | gcc -m32 -x c - -o "$KITCOPY/probe32" 2>/dev/null && "$KITCOPY/probe32"; } 2>/dev/null; then
        if [ "$USER_ANCHORS" = 0 ]; then
            ANCHORS=${ANCHORS/native32/native64}
            NOTE32="native32 cannot run here (no gcc-multilib or no 32-bit support in the kernel): native64 is the native anchor"
        else
            NOTE32="native32 cannot run here (no gcc-multilib or no 32-bit support in the kernel): its column fails"
        fi
        echo "benchmarks/host/run.sh: warning: $NOTE32" >&2
    fi
fi

# ------------------------------------------------------------ run
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-"$ROOT/benchmarks/results/$STAMP"}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CMDLINE="npm run bench"
[ ${#ORIG_ARGS[@]} -eq 0 ] || CMDLINE="$CMDLINE --$(printf ' %q' "${ORIG_ARGS[@]}")"

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
rc=0
bash "$KITCOPY/run.sh" --runs 3 --anchors "$ANCHORS" "${PASS[@]}" --out "$OUT" || rc=$?

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain -- src 2>/dev/null | wc -l)
{
    echo "# tsxen $COMMIT$([ "$DIRTY" -gt 0 ] && echo " + $DIRTY uncommitted change(s) in src/"), scale $TSXEN_SCALE (tsxen-nojit $NOJIT_TSXEN_SCALE), timing $TSXEN_TIMING$([ "$WITH_TSXEN" = 1 ] || echo ' (not run)')"
    [ -z "$NOTE32" ] || echo "# $NOTE32"
    echo "# load average (1/5/15 min) before: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') on $(nproc) cpus (other work on the machine skews every column)"
    echo "# kit $KIT (content hash $KIT_SUM)"
    echo "# command: $CMDLINE"
} >> "$OUT/env.txt"

if [ ! -f "$OUT/results.json" ]; then
    echo "benchmarks/host/run.sh: no results.json (see $OUT)" >&2
    exit "$rc"
fi
node "$HERE/targets.mjs" "$OUT/results.json" --col tsxen > "$OUT/targets.md" || true
echo
cat "$OUT/targets.md"

if [ "$LATEST" = 1 ]; then
    REL=${OUT#"$ROOT/"}
    {
        echo "# Host-time emulator benchmark: latest run"
        echo
        echo "- Date: $(date -u +%Y-%m-%dT%H:%M:%SZ) (UTC)"
        echo "- Command: \`$CMDLINE\`"
        echo "- tsxen: commit $COMMIT$([ "$DIRTY" -gt 0 ] && echo " with $DIRTY uncommitted change(s) in src/")"
        echo "- Raw data: \`$REL/\` (results.json, results.md, pivot.md, env.txt, targets.md)"
        echo "- What this measures: HOST time, i.e. how fast each emulator runs the guest"
        echo "  (see benchmarks/host/README.md); not the simulated time the guest sees."
        echo "- Status: $([ "$rc" = 0 ] && echo "all runs ok" || echo "**some runs failed (exit $rc); see bench.log in the raw folder**")"
        echo
        echo "Machine:"
        echo
        echo '```'
        cat "$OUT/env.txt"
        echo '```'
        echo
        echo "## Per workload"
        echo
        cat "$OUT/pivot.md"
        echo
        echo "## All figures"
        echo
        cat "$OUT/results.md"
        echo
        echo "## Targets (tsxen)"
        echo
        cat "$OUT/targets.md"
    } > "$ROOT/benchmarks/results/latest.md"
    echo "latest: benchmarks/results/latest.md"
fi

# The hypervisor overhead benchmark (benchmarks/hv/README.md): simulated
# cycles and host time per hypercall, mmu_update entry, bounced #PF, int $0x80
# and event round trip; report in benchmarks/results/hv-latest.md.
bash "$ROOT/benchmarks/hv/run.sh" --no-project-build || rc=$?
exit "$rc"
