#!/usr/bin/env bash
# Search benchmark driver (builds nothing). Compares the search a user gets by default
# (CBOOptions{}, a bare "cbo" job) with Optuna's TPE (default and multivariate; Debian's
# python3-optuna under /usr/bin/python3, installed by `bash scripts/setup.sh --bench`) and random
# search on the functions of functions_public.json, and prints three tables:
#   1. sequential search: mean log10 regret ± standard error after 50, 100, 200 evaluations;
#   2. 1, 8 and 64 simulated asynchronous workers, against random search at the same concurrency;
#   3. ask latency with the defaults at 100 to 5,000 observations in 10-D (next to what
#      scikit-learn's ExtraTrees costs DeepHyper's CBO per ask).
# The regret runs of Kyper and Optuna go in parallel (one core each); the latency runs go last,
# alone, in their own session with a raised scheduling priority where that is allowed.
#
#   benchmarks/search/run.sh [BUILD_DIR] [FUNCTIONS_JSON] [--seeds N] [--budget B] [--only NAME[,NAME]]
#
# BUILD_DIR defaults to build/ of this checkout; FUNCTIONS_JSON to ../shared/bench/functions_public.json
# next to the checkout (or $KYPER_BENCH_FUNCTIONS). Set KYPER_BENCH_OUT=DIR to keep the raw JSON lines.
# The full run (10 seeds) takes about 15-20 minutes on 2 cores, most of it Optuna.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
functions=${2:-${KYPER_BENCH_FUNCTIONS:-$here/../../../shared/bench/functions_public.json}}
shift $(( $# < 2 ? $# : 2 ))
bench=$(find "$build" -name bench_search -type f -perm -u+x | head -n 1)
if [[ -z "$bench" ]]; then
  echo "bench_search not found under $build (configure with -DKyper_ENABLE_BENCHMARKS=ON and build it)" >&2
  exit 1
fi
if [[ ! -f "$functions" ]]; then
  echo "functions file not found: $functions (pass it as the second argument)" >&2
  exit 1
fi
if ! /usr/bin/python3 -c "import optuna" 2>/dev/null; then
  echo "Optuna is missing: run 'bash scripts/setup.sh --bench' (Debian's python3-optuna)" >&2
  exit 1
fi
out=${KYPER_BENCH_OUT:-$(mktemp -d)}
mkdir -p "$out"
[[ -n "${KYPER_BENCH_OUT:-}" ]] || trap 'rm -rf "$out"' EXIT
start=$(date +%s)

# 1 and 2: regret. Kyper's sequential and concurrent runs on one core, Optuna on the other.
( "$bench" "$functions" --modes regret "$@" && "$bench" "$functions" --modes concurrency --workers 1,8,64 "$@" ) \
  > "$out/kyper.jsonl" &
kyper_pid=$!
/usr/bin/python3 "$here/optuna_reference.py" "$functions" --no-latency "$@" > "$out/reference.jsonl" &
reference_pid=$!
wait "$kyper_pid"
wait "$reference_pid"

# 3: latency, alone. A session of its own with priority -20 (root only; ignored otherwise) so
# other jobs on a shared machine do not inflate the times (see ../shared/notes/toolchain.md).
timed() { setsid -w sh -c 'echo -20 > /proc/self/autogroup 2>/dev/null; exec "$@"' sh "$@"; }
timed "$bench" "$functions" --modes latency --latency-sizes 100,200,400,1000,5000 >> "$out/kyper.jsonl"
timed /usr/bin/python3 "$here/optuna_reference.py" "$functions" --no-regret >> "$out/reference.jsonl"

/usr/bin/python3 "$here/summarize.py" "$out/kyper.jsonl" "$out/reference.jsonl"
echo "total benchmark wall time: $(( $(date +%s) - start )) s"
