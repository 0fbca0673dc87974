#!/usr/bin/env bash
# Multi-fidelity benchmark (builds nothing). Prints two tables:
#  1. stoppers none, asha, median, lce on the synthetic learning curve and the diabetes MLP search
#     (random search, 27 epochs a trial, 5 seeds; 100 trials without a stopper, up to 1000 with one,
#     the stoppers' first rung / grace budget 5 epochs): best objective against epochs spent;
#     target: each stopper reaches the no-stopper run's final best within 1/3 of its epochs;
#  2. utilisation of 8 oversubscribed MPI ranks, centralized, each stopper (asha, median, lce,
#     hyperband), on the synthetic curve sleeping 5 ms an epoch, with the output folder under
#     $TMPDIR (default /tmp) and, where it exists, under /dev/shm for asha (no disk: separates the
#     cost of syncing results.csv); then decentralized (every rank runs trials); target >= 95%.
#   benchmarks/multifidelity/run.sh [bench_multifidelity stoppers options, e.g. --seeds 5 --diabetes-trials 40]
# BUILD_DIR: the build folder (default <repository>/build; the binary is
# $BUILD_DIR/benchmarks/multifidelity/bench_multifidelity). RANKS (8), SLEEP_MS (5),
# TRIALS_PER_WORKER (100), UTILISATION_STOPPERS ("asha median lce hyperband"): the utilisation
# runs; SKIP_UTILISATION=1 leaves them out.
# Arguments after the script's own defaults (--stopper-trials 1000 --min-budget 5) override them.
# About 2 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$here/build}"
bench="$build/benchmarks/multifidelity/bench_multifidelity"
[ -x "$bench" ] || { echo "missing $bench: configure with -DKyper_ENABLE_BENCHMARKS=ON and build bench_multifidelity (or set BUILD_DIR)" >&2; exit 1; }
export OMP_NUM_THREADS=1 OMP_PROC_BIND=false
"$bench" stoppers --data "$here/examples/data/diabetes.csv" --stopper-trials 1000 --min-budget 5 "$@" 2>/dev/null
if [ "${SKIP_UTILISATION:-0}" != 1 ]; then
  echo
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  runs=()
  for stopper in ${UTILISATION_STOPPERS:-asha median lce hyperband}; do runs+=("${TMPDIR:-/tmp} $stopper 0"); done
  [ -d /dev/shm ] && [ -w /dev/shm ] && runs+=("/dev/shm asha 0")
  for stopper in ${UTILISATION_STOPPERS:-asha median lce hyperband}; do runs+=("${TMPDIR:-/tmp} $stopper 1"); done
  for run in "${runs[@]}"; do
    read -r tmp stopper decentralized <<<"$run"
    TMPDIR="$tmp" mpiexec -x TMPDIR --oversubscribe --bind-to none -n "${RANKS:-8}" "$bench" utilisation \
      --sleep-ms "${SLEEP_MS:-5}" --trials-per-worker "${TRIALS_PER_WORKER:-100}" --stopper "$stopper" \
      --decentralized "$decentralized" 2>/dev/null
  done
fi
