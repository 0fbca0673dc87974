#!/usr/bin/env bash
# AutoDEUQ benchmark tables (issue 23): single best vs random-init deep ensemble vs AutoDEUQ
# (greedy) vs top-K vs the robust default, over random splits of each dataset: diabetes
# (scikit-learn's, examples/data) and Boston housing (R's MASS, exported here with Rscript; both
# come with scripts/setup.sh --bench). The search is examples/regression/autodeuq.json's.
#   benchmarks/uq/run.sh [build-dir] [splits] [trials] [datasets]     datasets: diabetes,boston
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$here/build}"
splits="${2:-10}" trials="${3:-100}" datasets="${4:-diabetes,boston}"
bench="$build/benchmarks/uq/bench_uq"
[ -x "$bench" ] || { echo "missing $bench: configure with -DKyper_ENABLE_BENCHMARKS=ON and build" >&2; exit 1; }
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" OMP_PROC_BIND=false
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for dataset in ${datasets//,/ }; do
  case "$dataset" in
    diabetes) config="$here/examples/regression/autodeuq.json" ;;
    boston)
      command -v Rscript >/dev/null || { echo "Boston needs Rscript and MASS: scripts/setup.sh --bench" >&2; exit 1; }
      Rscript -e 'write.csv(MASS::Boston, "'"$out"'/boston.csv", row.names = FALSE, quote = FALSE)'
      config="$out/boston.json"
      sed -e "s#\"../data/diabetes.csv\"#\"$out/boston.csv\"#" -e 's#"progression"#"medv"#' \
        "$here/examples/regression/autodeuq.json" >"$config"
      ;;
    *) echo "unknown dataset '$dataset' (diabetes, boston)" >&2; exit 2 ;;
  esac
  "$bench" "$config" --splits "$splits" --trials "$trials" --k 5 --output "$out/$dataset"
  echo
done
