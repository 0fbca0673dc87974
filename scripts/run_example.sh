#!/usr/bin/env bash
# Sets up everything from nothing, builds Kyper, and runs the main job: a hyperparameter search
# (CBO over learning rate, batch size, optimizer, depth, width, activation, dropout) of Kokkos MLPs
# on the diabetes data, then predictions from the best model.
#   scripts/run_example.sh [N]      N > 1 runs the search under mpiexec with N ranks
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ranks="${1:-1}"
build_dir="$(bash "$here/scripts/build.sh" "$here/build")"
out="$here/kyper-output/diabetes"
resume=()
[ -f "$out/results.csv" ] && resume=(--resume) && echo "[example] $out exists: resuming it (delete it to start over)"
export OMP_PROC_BIND="${OMP_PROC_BIND:-false}"
if [ "$ranks" -gt 1 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
  mpiexec -n "$ranks" --oversubscribe "$build_dir/src/kyper" search --config "$here/examples/regression/search.json" \
    --output "$out" "${resume[@]}"
else
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" "$build_dir/src/kyper" search --config "$here/examples/regression/search.json" \
    --output "$out" "${resume[@]}"
fi
"$build_dir/src/kyper" predict --model "$out/best.kyper" --data "$here/examples/data/diabetes.csv" \
  --output "$out/predictions.csv"
