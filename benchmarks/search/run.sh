#!/usr/bin/env bash
# Search benchmark driver (builds nothing): runs bench_search and the Optuna / scikit-learn
# reference (optuna_reference.py, Debian's /usr/bin/python3) and prints one table with ratios.
# The regret runs of both go in parallel (one core each); the latency runs go one after the
# other so neither times the other.
#
#   benchmarks/search/run.sh [BUILD_DIR] [FUNCTIONS_JSON] [--seeds N] [--budget B]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
functions=${2:-/work/shared/bench/functions_public.json}
shift $(( $# < 2 ? $# : 2 ))
bench=$(find "$build" -name bench_search -type f -perm -u+x | head -n 1)
if [[ -z "$bench" ]]; then
  echo "bench_search not found under $build (configure with -DKyper_ENABLE_BENCHMARKS=ON and build it)" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
"$bench" "$functions" --no-latency "$@" > "$out/kyper.jsonl" &
kyper_pid=$!
/usr/bin/python3 "$here/optuna_reference.py" "$functions" --no-latency "$@" > "$out/reference.jsonl" &
reference_pid=$!
wait "$kyper_pid"
wait "$reference_pid"
"$bench" "$functions" --no-regret >> "$out/kyper.jsonl"
/usr/bin/python3 "$here/optuna_reference.py" "$functions" --no-regret >> "$out/reference.jsonl"

/usr/bin/python3 - "$out/kyper.jsonl" "$out/reference.jsonl" "$(( $(date +%s) - start ))" <<'PY'
import json, sys
rows = [json.loads(line) for path in sys.argv[1:3] for line in open(path) if line.strip()]
regret = {(r["method"], r["function"]): r for r in rows if r["kind"] == "regret"}
latency = {(r["method"], r["observations"]): r for r in rows if r["kind"] == "latency"}
functions = list(dict.fromkeys(r["function"] for r in rows if r["kind"] == "regret"))
cbo = next((m for m, _ in regret if m.startswith("kyper_cbo")), None)
seeds = next((r["seeds"] for r in rows if r["kind"] == "regret"), 0)
print(f"Best-found regret (best f - f_min), mean over {seeds} seeds; lower is better")
print(f"{'function':<13}{'evals':>6}{'Kyper CBO':>13}{'Optuna TPE':>13}{'random':>13}{'CBO/TPE':>10}{'CBO/random':>12}")
wins = {}
for f in functions:
    k, t, r = regret.get((cbo, f)), regret.get(("optuna_tpe", f)), regret.get(("kyper_random", f))
    for evals in (k or t)["regret"]:
        kv = k["regret"][evals] if k else float("nan")
        tv = t["regret"][evals] if t else float("nan")
        rv = r["regret"][evals] if r else float("nan")
        ratio = kv / tv if tv > 0 else float("inf") if kv > 0 else 1.0
        print(f"{f:<13}{evals:>6}{kv:>13.4g}{tv:>13.4g}{rv:>13.4g}{ratio:>10.3g}{kv / rv if rv > 0 else float('nan'):>12.3g}")
        wins.setdefault(evals, 0)
        wins[evals] += kv <= tv
print("CBO regret <= TPE: " + ", ".join(f"{w}/{len(functions)} at {e} evals" for e, w in wins.items()) +
      " (target: >= 4/5)")
secs = {m: sum(r["seconds"] for (mm, _), r in regret.items() if mm == m) for m in (cbo, "optuna_tpe")}
print(f"wall time of the regret runs: Kyper CBO {secs[cbo]:.0f} s, Optuna TPE {secs['optuna_tpe']:.0f} s")
print()
print("ask latency, 10-D (median of 21 asks after n observations; sklearn: ExtraTrees(100 trees, min_samples_leaf=3)")
print("fit + predict on 10,000 candidates, what DeepHyper's CBO pays per ask)")
print(f"{'observations':>12}{'Kyper ask ms':>14}{'(CPU ms)':>10}{'sklearn ms':>12}{'speed-up':>10}")
for n in (100, 1000, 5000):
    k, s = latency.get(("kyper_cbo_et", n)), latency.get(("sklearn_extratrees", n))
    if not k or not s:
        continue
    print(f"{n:>12}{k['ms']:>14.3f}{k['cpu_ms']:>10.3f}{s['ms']:>12.1f}{s['ms'] / k['ms']:>10.1f}x")
k = latency.get(("kyper_cbo_et", 1000))
if k:
    print(f"target ask <= 5 ms at 1,000 observations: {'met' if k['ms'] <= 5 else 'NOT met'} ({k['ms']:.2f} ms)")
print(f"total benchmark wall time: {sys.argv[3]} s")
PY
