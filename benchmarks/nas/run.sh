#!/usr/bin/env bash
# NAS benchmark table on the example job: random NAS vs aging evolution vs AgEBO, 3 seeds.
#   benchmarks/nas/run.sh [build-dir] [trials] [seeds]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$here/build}"
bench="$build/benchmarks/nas/bench_nas"
[ -x "$bench" ] || { echo "missing $bench: configure with -DKyper_ENABLE_BENCHMARKS=ON and build" >&2; exit 1; }
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OMP_PROC_BIND=false
out="$(mktemp -d)"
"$bench" "$here/examples/nas/nas.json" --trials "${2:-150}" --seeds "${3:-3}" --output "$out"
rm -rf "$out"
