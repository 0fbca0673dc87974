#!/usr/bin/env bash
# The SST emulator end to end (README: "Example: an SST emulator"): simulate the field and its POD
# coefficients, search a recurrent forecaster of the coefficients with kyper nas, forecast the
# held-out years with kyper predict, and print the field RMSE per horizon step against persistence
# and a linear autoregressive baseline.
#   examples/sst_emulator/run.sh [--quick] [--check] [--output DIR] [--build DIR]
#     --quick   the short version the test runs: a 32x16 grid, 36 years (3 held out), the same search
#     --check   fail unless the searched model beats persistence at every horizon step
#     --output  the work folder (default <repo>/kyper-output/sst_emulator[-quick]); it is replaced
#     --build   the build folder (default <repo>/build); KYPER and SST_BIN (the folder of
#               sst_simulate and sst_evaluate) override the programs found there
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
quick=0 check=() work="" build="$repo/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --check) check=(--check) ;;
    --output) work="$2"; shift ;;
    --build) build="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--check] [--output DIR] [--build DIR]" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$work" ] || work="$repo/kyper-output/sst_emulator$([ $quick = 1 ] && echo -quick || true)"
kyper="${KYPER:-$build/src/kyper}"
bin="${SST_BIN:-$build/examples/sst_emulator}"
for program in "$kyper" "$bin/sst_simulate" "$bin/sst_evaluate"; do
  [ -x "$program" ] || { echo "run.sh: no $program (build it: ninja -C $build kyper_cli sst_simulate sst_evaluate)" >&2; exit 2; }
done
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" OMP_PROC_BIND="${OMP_PROC_BIND:-false}"

rm -rf "$work"
mkdir -p "$work"
start=$SECONDS
if [ $quick = 1 ]; then
  "$bin/sst_simulate" --output "$work/data" --nx 32 --ny 16 --years 36 --test-years 3 --modes 5
  cp "$here/sst_nas.json" "$work/sst_nas.json"  # the same search on less data
else
  "$bin/sst_simulate" --output "$work/data" --years 66 --test-years 6 --modes 5
  cp "$here/sst_nas.json" "$work/sst_nas.json"
fi
echo "[sst] simulation and POD: $((SECONDS - start)) s"

# The job's paths (data/train.csv, search) are relative to the job file.
"$kyper" nas --config "$work/sst_nas.json"
echo "[sst] search: $((SECONDS - start)) s"
cat "$work/search/best_architecture.txt" 2>/dev/null || true

"$kyper" predict --model "$work/search/best.kyper" --data "$work/data/test.csv" --output "$work/forecast.csv"
# The job's window and horizon, for the baselines.
window=$(sed -n 's/.*"window": *\([0-9]*\).*/\1/p' "$work/sst_nas.json")
horizon=$(sed -n 's/.*"horizon": *\([0-9]*\).*/\1/p' "$work/sst_nas.json")
"$bin/sst_evaluate" --data "$work/data" --forecast "$work/forecast.csv" --window "$window" --horizon "$horizon" \
  --svg "$work/coefficients.svg" --table "$work/rmse.csv" "${check[@]}"
echo "[sst] total: $((SECONDS - start)) s; outputs in $work"
