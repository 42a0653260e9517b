#!/usr/bin/env bash
# Hypervisor overhead benchmark (issue 3: "overheads counted, not guessed"):
# the same small guest loops (null hypercall, mmu_update batches, bounced
# page fault, event round trip between two domains, int $0x80 through the
# fast gate) as PV guests of tsxen and, where one exists, as a bare-metal
# twin on the same emulated PC; simulated cycles and host time per
# operation. See benchmarks/hv/README.md.
#
# usage: benchmarks/hv/run.sh [--runs N] [--scale P] [--out FILE.md] [--no-latest]
#                              [--no-project-build] [--no-build]
#   --runs N      runs of each kernel (default 3); host figures are medians
#   --scale P     iteration counts in percent of the kernels' defaults (default 100)
#   --out FILE    report file (default benchmarks/results/hv-<UTC time>.md)
#   --no-latest   do not rewrite benchmarks/results/hv-latest.md
#   --no-project-build
#                 do not run `npm run build` (benchmarks/host/run.sh has just done it)
#   --no-build    neither `npm run build` nor `make -C guests/bench`
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SNAP="$HERE/.snap"            # git-ignored (benchmarks/hv/.gitignore)

RUNS=3
SCALE=100
OUT=""
LATEST=1
BUILD=1
PROJECT_BUILD=1
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --scale) SCALE="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --no-latest) LATEST=0; shift ;;
        --no-build) BUILD=0; PROJECT_BUILD=0; shift ;;
        --no-project-build) PROJECT_BUILD=0; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "benchmarks/hv/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ "$PROJECT_BUILD" = 1 ]; then
    (cd "$ROOT" && npm run -s build) || { echo "benchmarks/hv/run.sh: npm run build failed" >&2; exit 1; }
fi
if [ "$BUILD" = 1 ]; then
    make -s -C "$ROOT/guests/bench" || { echo "benchmarks/hv/run.sh: make -C guests/bench failed" >&2; exit 1; }
fi
[ -f "$ROOT/build/src/cli/main.js" ] || { echo "benchmarks/hv/run.sh: tsxen is not built (npm run build)" >&2; exit 1; }
for k in pv-bench pv-bench-ping pv-bench-pong native-bench; do
    [ -f "$ROOT/guests/build/bench/$k.elf" ] || { echo "benchmarks/hv/run.sh: guests/build/bench/$k.elf missing (make -C guests/bench)" >&2; exit 1; }
done

# Freeze the compiled emulator: others rebuilding build/ mid-run must not
# change what is measured (as benchmarks/host/run.sh does).
rm -rf "$SNAP"
mkdir -p "$SNAP/bin" "$SNAP/build" "$SNAP/kernels"
cp -r "$ROOT/build/src" "$SNAP/build/src"
cp "$ROOT/bin/tsxen" "$SNAP/bin/tsxen"
cp "$ROOT/package.json" "$SNAP/package.json"
cp "$ROOT"/guests/build/bench/*.elf "$SNAP/kernels/"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$ROOT/benchmarks/results"
OUT=${OUT:-"$ROOT/benchmarks/results/hv-$STAMP.md"}
CMDLINE="npm run bench (benchmarks/hv/run.sh$([ ${#ORIG_ARGS[@]} -eq 0 ] || printf ' %q' "${ORIG_ARGS[@]}"))"
LATEST_ARGS=()
[ "$LATEST" = 0 ] || LATEST_ARGS=(--latest "$ROOT/benchmarks/results/hv-latest.md")

rc=0
node "$HERE/run.mjs" --tsxen "$SNAP/bin/tsxen" --kernels "$SNAP/kernels" --costs "$SNAP/build/src/machine/costs.js" \
    --runs "$RUNS" --scale "$SCALE" --out "$OUT" "${LATEST_ARGS[@]}" --command "$CMDLINE" || rc=$?
echo
echo "report: ${OUT#"$ROOT/"}$([ "$LATEST" = 0 ] || echo ", benchmarks/results/hv-latest.md")"
exit "$rc"
