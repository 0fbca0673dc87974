#!/usr/bin/env bash
# Multi-fidelity search with the kyper command: the built-in trial reports every epoch, ASHA ends
# hopeless trials early (finished rows with m:stopped_early and the epochs used in m:budget), every
# report is in progress.csv, --resume goes on; and stopper sections that are wrong are errors
# naming the file and key.
#   test_cli_stopper.sh KYPER SOURCE_DIR WORK_DIR
set -euo pipefail
kyper="$1" src="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "test_cli_stopper: FAILED: $*" >&2; exit 1; }
job() {  # job FILE EVALUATIONS STOPPER_JSON
  cat >"$1" <<JSON
{
  "dataset": {"path": "$src/examples/data/diabetes.csv", "targets": ["progression"], "split_seed": 7},
  "objective": "neg_val_loss",
  "training": {"epochs": 27, "patience": 0, "batch_size": 32, "save_models": false},
  "space": {"parameters": [
    {"name": "learning_rate", "type": "float", "low": 0.00001, "high": 0.03, "log": true},
    {"name": "units", "type": "int", "low": 2, "high": 64, "log": true}
  ]},
  "search": {"algorithm": "random", "seed": 3, "stopper": $3},
  "budget": {"evaluations": $2},
  "output": "$work/out"
}
JSON
}
job "$work/asha.json" 10 '{"kind": "asha", "min_budget": 1, "reduction_factor": 3}'
"$kyper" search --config "$work/asha.json" >"$work/search.log" 2>&1 || { cat "$work/search.log"; fail "the search failed"; }
job "$work/asha.json" 14 '{"kind": "asha", "min_budget": 1, "reduction_factor": 3}'
"$kyper" search --config "$work/asha.json" --resume >>"$work/search.log" 2>&1 || { cat "$work/search.log"; fail "the resume failed"; }
python3 - "$work/out" <<'PY'
import csv, sys, collections
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/results.csv")))
reports = collections.Counter(r["trial_id"] for r in csv.DictReader(open(out + "/progress.csv")))
assert len(rows) == 14, f"{len(rows)} rows, expected 14"
stopped = [r for r in rows if r["m:stopped_early"] == "true"]
assert stopped, "ASHA stopped no trial"
for r in rows:
    assert r["objective"] not in ("", "nan"), f"trial {r['job_id']} has no objective: {r}"
    budget = int(float(r["m:budget"]))
    assert reports[r["job_id"]] == budget, f"trial {r['job_id']}: budget {budget}, {reports[r['job_id']]} reports"
    if r["m:stopped_early"] == "true":
        assert budget in (1, 3, 9), f"trial {r['job_id']} stopped at {budget}, not at a rung"
        assert r["m:status"] == "stopped", r
    else:
        assert budget == 27, f"trial {r['job_id']} was not stopped but used {budget} epochs"
print(f"test_cli_stopper: {len(stopped)} of {len(rows)} trials stopped early")
PY
# Errors name the file and the key.
expect_error() {  # expect_error STOPPER_JSON MESSAGE
  rm -rf "$work/out"
  job "$work/bad.json" 4 "$1"
  if "$kyper" search --config "$work/bad.json" >"$work/bad.log" 2>&1; then fail "accepted the stopper $1"; fi
  grep -qF "$2" "$work/bad.log" || { cat "$work/bad.log"; fail "the error for $1 does not say: $2"; }
}
expect_error '{"kind": "ashaa"}' "bad.json: key 'search.stopper.kind' must be none, asha, hyperband, median or lce, got 'ashaa'"
expect_error '{"kind": "asha", "reduction_factr": 2}' "bad.json: key 'search.stopper.reduction_factr' is not a known key (did you mean 'reduction_factor'?)"
expect_error '{"kind": "asha", "reduction_factor": 1}' "search.stopper.reduction_factor"
expect_error '{"kind": "median", "max_budget": 0.5}' "search.stopper.max_budget"
# A command objective reports in its own unit: its stopper needs the full budget (tests/command
# runs a search of commands stopped by ASHA).
cat >"$work/command.json" <<JSON
{"objective": {"command": ["true"]}, "space": {"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}]},
 "search": {"stopper": {"kind": "asha"}}, "budget": {"evaluations": 2}, "output": "$work/out_command"}
JSON
if "$kyper" search --config "$work/command.json" >"$work/command.log" 2>&1; then fail "a command stopper without max_budget was accepted"; fi
grep -qF "command.json: key 'search.stopper.max_budget' is needed with a command objective" "$work/command.log" \
  || { cat "$work/command.log"; fail "a command stopper without max_budget is not explained"; }
echo "test_cli_stopper: OK"
