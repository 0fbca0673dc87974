#!/usr/bin/env bash
# AutoDEUQ benchmark table on the diabetes data: single best vs random-init deep ensemble vs
# AutoDEUQ (greedy) vs top-K, over random splits. Target: AutoDEUQ's test NLL below random-init's.
#   benchmarks/uq/run.sh [build-dir] [splits] [trials]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$here/build}"
bench="$build/benchmarks/uq/bench_uq"
[ -x "$bench" ] || { echo "missing $bench: configure with -DKyper_ENABLE_BENCHMARKS=ON and build" >&2; exit 1; }
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" OMP_PROC_BIND=false
out="$(mktemp -d)"
"$bench" "$here/examples/regression/autodeuq.json" --splits "${2:-5}" --trials "${3:-50}" --k 5 --output "$out"
rm -rf "$out"
