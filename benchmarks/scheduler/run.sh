#!/usr/bin/env bash
# Worker utilisation table for 8, 32 and 64 oversubscribed ranks, centralized and decentralized,
# with synthetic trials of 1 s +- 0.1 s. Target: >= 98% at 64 ranks.
#   benchmarks/scheduler/run.sh [build-dir] [trials-per-worker]
set -euo pipefail
build="${1:-build}"
per_worker="${2:-20}"
bench="$build/benchmarks/scheduler/bench_scheduler"
[ -x "$bench" ] || { echo "missing $bench: configure with -DKyper_ENABLE_BENCHMARKS=ON and build" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 OMP_PROC_BIND=false
out="$(mktemp -d)"
results=()
for ranks in 8 32 64; do
  for mode in centralized decentralized; do
    line=$(mpiexec -n "$ranks" --oversubscribe --bind-to none "$bench" "$mode" "$per_worker" 1.0 0.1 "$out" 2>/dev/null | grep '^{')
    results+=("$line")
    echo "$line" >&2
  done
done
rm -rf "$out"
printf '%s\n' "${results[@]}" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
print("| ranks | mode | trial ranks | trials | wall s | utilisation | target (64 ranks) |")
print("|---:|---|---:|---:|---:|---:|---|")
for r in rows:
    target = ("met" if r["utilisation"] >= 0.98 else "missed") if r["ranks"] == 64 else ""
    print("| %d | %s | %d | %d | %.1f | %.1f%% | %s |" % (r["ranks"], r["mode"], r["workers"], r["trials"], r["seconds"], 100 * r["utilisation"], target))
'
