#!/usr/bin/env bash
# Recurrent architecture search through the kyper command: a job with a "sequence" section and the
# stacked_rnn space, AgEBO on 3 MPI ranks in both scheduler modes (or one process without MPI),
# each killed with -9 mid-search and resumed: finished trials are kept as they were, none is redone,
# the budget is met. The best recurrent model then forecasts a held-out series with kyper predict.
#   test_cli_recurrent_nas.sh KYPER SOURCE_DIR WORK_DIR [MPIEXEC]
set -euo pipefail
kyper="$1" src="$2" work="$3" mpiexec="${4:-}"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "test_cli_recurrent_nas: FAILED: $*" >&2; exit 1; }

python3 - "$work" <<'PY'
import math, random, sys
random.seed(3)
rows = []
for i in range(420):
    a = math.sin(2 * math.pi * i / 20) + random.gauss(0, 0.05)
    b = math.cos(2 * math.pi * i / 33) + 0.4 * a + random.gauss(0, 0.05)
    rows.append(f"{a:.6f},{b:.6f}")
for name, part in (("series.csv", rows[:320]), ("heldout.csv", rows[320:])):
    with open(f"{sys.argv[1]}/{name}", "w") as f:
        f.write("a,b\n" + "\n".join(part) + "\n")
PY

write_job() {  # write_job FILE OUTPUT MODE EVALUATIONS
  python3 - "$@" "$work/series.csv" <<'PY'
import json, sys
path, output, mode, evaluations, series = sys.argv[1:6]
json.dump({
  "dataset": {"path": series, "validation_fraction": 0.2},
  "sequence": {"window": 6, "horizon": 3, "inputs": ["a", "b"], "targets": ["a", "b"]},
  "task": "regression",
  "training": {"epochs": 24, "batch_size": 32, "patience": 0, "learning_rate": 0.01},
  "architecture": {"preset": "stacked_rnn", "blocks": 2, "cells": ["lstm", "gru"], "units": [4, 8], "anchors": 2},
  "search": {"algorithm": "agebo", "seed": 5, "mode": mode},
  "budget": {"evaluations": int(evaluations)},
  "output": output}, open(path, "w"), indent=1)
PY
}

launcher=()
[ -n "$mpiexec" ] && launcher=("$mpiexec" -n 3 ${KYPER_MPIEXEC_PREFLAGS:-})

modes="centralized"
[ -n "$mpiexec" ] && modes="centralized decentralized"
for mode in $modes; do
  out="$work/out_$mode"
  write_job "$work/$mode.json" "$out" "$mode" 40
  setsid "${launcher[@]}" "$kyper" nas --config "$work/$mode.json" >"$work/$mode.killed.log" 2>&1 &
  pid=$!
  # Rows on disk: results.csv, or one results.rank<r>.csv per rank in decentralized mode.
  rows() { cat "$out"/results*.csv 2>/dev/null | grep -vc '^job_id' || true; }
  for _ in $(seq 1 3000); do
    [ "$(rows)" -ge 5 ] && break
    sleep 0.02
  done
  pkill -KILL -s "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  mkdir -p "$work/$mode.before"
  cp "$out"/results*.csv "$work/$mode.before/" 2>/dev/null || { cat "$work/$mode.killed.log" >&2; fail "$mode: no results before the kill"; }
  [ "$(rows)" -lt 40 ] || fail "$mode: the search finished before it could be killed"
  "${launcher[@]}" "$kyper" nas --config "$work/$mode.json" --resume >"$work/$mode.resumed.log" 2>&1 \
    || { cat "$work/$mode.resumed.log" >&2; fail "$mode: resume failed"; }
  grep -q "from a previous run" "$work/$mode.resumed.log" || fail "$mode: resume did not reuse finished trials"
  python3 - "$work/$mode.before" "$out/results.csv" <<'PY' || fail "$mode: resume lost or redid finished trials"
import csv, glob, sys
# What a finished trial is: its id, architecture and objective (the merged table of decentralized
# mode leaves out the per-rank submit and gather times).
def key(r):
    return (r["job_id"], tuple(v for k, v in r.items() if k.startswith("p:")), r["objective"], r["m:val_loss"])
complete = []
for path in glob.glob(sys.argv[1] + "/results*.csv"):
    lines = open(path).read().split("\n")
    complete += list(csv.DictReader([lines[0]] + [l for l in lines[1:-1] if l]))  # a line cut by the kill has no newline
assert complete, "no finished trial before the kill"
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == 40, len(rows)
assert len({r["job_id"] for r in rows}) == 40, "a trial id appears twice"
assert len({tuple(v for k, v in r.items() if k.startswith("p:")) for r in rows}) == 40, "an architecture ran twice"
after = {key(r) for r in rows}
for r in complete:
    assert key(r) in after, "finished trial changed or vanished: %s" % (key(r),)
assert sum(1 for r in rows if r["objective"] not in ("", "nan")) >= 30, "too few trials finished"
PY
  [ -s "$out/best_architecture.txt" ] || fail "$mode: no best architecture"
done

# The best model forecasts 3 steps of a and b from 6: one row per window of the held-out series.
"$kyper" predict --model "$work/out_centralized/best.kyper" --data "$work/heldout.csv" --output "$work/forecast.csv" \
  >"$work/predict.log" || { cat "$work/predict.log" >&2; fail "predict with the recurrent model failed"; }
python3 - "$work/forecast.csv" "$work/out_centralized/best_architecture.txt" <<'PY' || fail "the recurrent forecast"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cols = list(rows[0].keys())
assert cols[0] == "origin", cols
for k in (1, 2, 3):
    for t in ("a", "b"):
        assert f"{t}@t+{k}_mean" in cols or f"{t}@t+{k}" in cols, (t, k, cols)
assert len(rows) >= 100 - 6 - 3 + 1, len(rows)
PY
echo "test_cli_recurrent_nas: passed"
