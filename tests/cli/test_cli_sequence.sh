#!/usr/bin/env bash
# Time-series forecasting through the kyper command: a job with a "sequence" section over a
# synthetic series (two noisy sines beside a text timestamp column), a short random search of MLPs
# over the flattened windows, then kyper predict on a held-out series: the origin and forecast
# columns, one row per window, scores per horizon step, a forecast that beats persistence, and a
# Gaussian head's variance columns. Then bad inputs: each error names the file and the key or
# line/column, exits non-zero and shows no Kyper source path.
#   test_cli_sequence.sh KYPER SOURCE_DIR WORK_DIR
set -euo pipefail
kyper="$1" src="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "test_cli_sequence: FAILED: $*" >&2; exit 1; }

# series.csv: 600 rows for the search; heldout.csv: the 200 rows after them (same generator).
python3 - "$work" <<'PY'
import math, random, sys
random.seed(7)
rows = []
for i in range(800):
    s1 = math.sin(2 * math.pi * i / 25) + random.gauss(0, 0.05)
    s2 = 0.5 * math.cos(2 * math.pi * i / 40) + 0.3 * math.sin(2 * math.pi * i / 25 + 1) + random.gauss(0, 0.05)
    rows.append(f"2024-01-{1 + i // 24:02d} {i % 24:02d}:00,{s1:.6f},{s2:.6f}")
for name, part in (("series.csv", rows[:600]), ("heldout.csv", rows[600:])):
    with open(f"{sys.argv[1]}/{name}", "w") as f:
        f.write("time,s1,s2\n" + "\n".join(part) + "\n")
PY

config="$work/job.json"
cat >"$config" <<EOF
{
  "dataset": {"path": "series.csv", "validation_fraction": 0.2},
  "sequence": {"window": 8, "horizon": 4, "stride": 1, "inputs": ["s1", "s2"], "targets": ["s1", "s2"]},
  "task": "regression",
  "model": {"num_layers": 2, "units": 32},
  "training": {"epochs": 25, "batch_size": 32, "patience": 0},
  "space": {"parameters": [{"name": "learning_rate", "type": "float", "low": 0.002, "high": 0.01, "log": true}]},
  "search": {"algorithm": "random", "seed": 1},
  "budget": {"evaluations": 6},
  "output": "out"
}
EOF
"$kyper" search --config "$config" | tee "$work/search.log"
grep -q "validation windows" "$work/search.log" || fail "the search does not say it trains on windows"
[ "$(($(wc -l <"$work/out/results.csv") - 1))" -eq 6 ] || fail "results.csv should have 6 rows"
[ -f "$work/out/best.kyper" ] || fail "no best.kyper"

"$kyper" predict --model "$work/out/best.kyper" --data "$work/heldout.csv" --output "$work/forecast.csv" | tee "$work/predict.log"
python3 - "$work/forecast.csv" "$work/predict.log" <<'PY' || fail "the forecast's columns, rows or quality"
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1])))
header, data = rows[0], rows[1:]
expected = ["origin"] + [f"{t}@t+{k}_mean" for k in range(1, 5) for t in ("s1", "s2")]
assert header == expected, header
# One forecast per origin with a whole window of inputs: rows 7..199 of the file, lines 9..201.
assert len(data) == 200 - 8 + 1, len(data)
assert [int(float(r[0])) for r in data] == list(range(9, 202)), data[0][0]
log = open(sys.argv[2]).read()
assert re.search(r"all horizon steps: RMSE [0-9.]+", log), log
steps = re.search(r"RMSE per horizon step \(189 windows\): t\+1 ([0-9.]+) t\+2 ([0-9.]+) t\+3 ([0-9.]+) t\+4 ([0-9.]+)", log)
assert steps, log
model, persistence = map(float, re.search(r"RMSE over all steps: model ([0-9.]+), persistence ([0-9.]+)", log).groups())
print(f"held-out RMSE: model {model}, persistence {persistence}")
assert model < 0.7 * persistence, (model, persistence)
PY

# A Gaussian head: mean and variance per target and step; the scores include the NLL.
sed -e 's#"task": "regression"#"task": "gaussian_regression"#' -e 's#"evaluations": 6#"evaluations": 2#' \
    -e 's#"output": "out"#"output": "out_gauss"#' "$config" >"$work/gauss.json"
"$kyper" search --config "$work/gauss.json" >"$work/gauss.log" || { cat "$work/gauss.log" >&2; fail "gaussian search"; }
"$kyper" predict --model "$work/out_gauss/best.kyper" --data "$work/heldout.csv" --output "$work/gauss_forecast.csv" \
  >"$work/gauss_predict.log" || { cat "$work/gauss_predict.log" >&2; fail "gaussian predict"; }
head -1 "$work/gauss_forecast.csv" | grep -q "^origin,s1@t+1_mean,s1@t+1_variance,s2@t+1_mean,s2@t+1_variance,s1@t+2_mean" \
  || fail "gaussian forecast columns: $(head -1 "$work/gauss_forecast.csv")"
grep -q "all horizon steps: NLL" "$work/gauss_predict.log" || fail "gaussian predict prints no NLL"

# Bad jobs: each error names the file and the key (or the data file, line and column).
expect_error() {  # expect_error NAME EXPECTED-TEXT SED-EXPRESSION...
  local name="$1" expected="$2"
  shift 2
  local args=()
  for e in "$@"; do args+=(-e "$e"); done
  sed "${args[@]}" "$config" >"$work/$name.json"
  if "$kyper" search --config "$work/$name.json" --output "$work/bad_$name" >"$work/$name.log" 2>&1; then
    fail "$name: the bad job was accepted"
  fi
  grep -qF -- "$expected" "$work/$name.log" || { cat "$work/$name.log" >&2; fail "$name: error does not say '$expected'"; }
  if grep -qE "\.(cpp|hpp):[0-9]+" "$work/$name.log"; then cat "$work/$name.log" >&2; fail "$name: error shows a source path"; fi
}
expect_error window_zero "$work/window_zero.json: key 'sequence.window' must be" 's#"window": 8#"window": 0#'
expect_error horizon_zero "key 'sequence.horizon' must be" 's#"horizon": 4#"horizon": 0#'
expect_error horizon_negative "key 'sequence.horizon' must be" 's#"horizon": 4#"horizon": -2#'
expect_error stride_zero "key 'sequence.stride' must be" 's#"stride": 1#"stride": 0#'
expect_error window_missing "key 'sequence.window' is missing" 's#"window": 8, ##'
expect_error window_too_long "series.csv: the series has 600 rows; a window of 5000 steps and a horizon of 4 need at least 5004" \
  's#"window": 8#"window": 5000#'
expect_error no_training_window "no training window" 's#"window": 8#"window": 478#'
expect_error unknown_key "key 'sequence.windw' is not a known key (did you mean 'window'?)" 's#"window": 8#"windw": 8#'
expect_error unknown_column "series.csv: no column named 'temp'" 's#"inputs": \["s1", "s2"\]#"inputs": ["s1", "temp"]#'
expect_error unknown_target "series.csv: no column named 's3'" 's#"targets": \["s1", "s2"\]#"targets": ["s3"]#'
expect_error repeated_column "key 'sequence': inputs names column 's1' twice" 's#"inputs": \["s1", "s2"\]#"inputs": ["s1", "s1"]#'
expect_error no_targets "key 'sequence.targets' must name at least one column" 's#, "targets": \["s1", "s2"\]##'
expect_error dataset_features "key 'dataset.features' is not used with a \"sequence\" section: name the columns in sequence.inputs" \
  's#"validation_fraction": 0.2#"validation_fraction": 0.2, "features": ["s1"]#'
expect_error dataset_targets "key 'dataset.targets' is not used with a \"sequence\" section" \
  's#"validation_fraction": 0.2#"validation_fraction": 0.2, "targets": "s1"#'
expect_error classification "key 'task': a \"sequence\" section forecasts values" 's#"task": "regression"#"task": "classification"#'
expect_error loss "key 'training.loss': a \"sequence\" section forecasts values; the loss must be mse, mae or gaussian_nll" \
  's#"patience": 0#"patience": 0, "loss": "binary_cross_entropy"#'
# Every column is an input by default: the text timestamp is then an error that says how to leave it out.
expect_error default_inputs "series.csv:2: column 'time' (1)" 's#"inputs": \["s1", "s2"\], ##'
grep -qF "key 'sequence.inputs' is not set" "$work/default_inputs.log" || fail "default_inputs: no hint"
# A non-numeric and a missing value in a used column: the data file, line and column.
sed -e '5s/,[^,]*,/,abc,/' "$work/series.csv" >"$work/bad_value.csv"
expect_error bad_value "bad_value.csv:5: column 's1' (2): expected a finite number" 's#"series.csv"#"bad_value.csv"#'
sed -e '7s/,[^,]*$/,/' "$work/series.csv" >"$work/gap.csv"
expect_error missing_value "gap.csv:7: column 's2' (3): expected a finite number that fits in a float, got an empty cell" \
  's#"series.csv"#"gap.csv"#'

# kyper predict: a series shorter than one window; ensembles of sequence models are refused.
head -5 "$work/heldout.csv" >"$work/short.csv"
expect_command_error() {  # expect_command_error NAME EXPECTED-TEXT ARGS...
  local name="$1" expected="$2"
  shift 2
  if "$kyper" "$@" >"$work/$name.log" 2>&1; then fail "$name: accepted"; fi
  grep -qF -- "$expected" "$work/$name.log" || { cat "$work/$name.log" >&2; fail "$name: error does not say '$expected'"; }
  if grep -qE "\.(cpp|hpp):[0-9]+" "$work/$name.log"; then cat "$work/$name.log" >&2; fail "$name: error shows a source path"; fi
}
expect_command_error predict_short "short.csv: the series has 4 rows; a window of 8 steps needs at least 8" \
  predict --model "$work/out/best.kyper" --data "$work/short.csv" --output "$work/short_forecast.csv"
printf 'time,s1\n1,2\n' >"$work/no_input.csv"
expect_command_error predict_missing_input "no_input.csv: no column named 's2'" \
  predict --model "$work/out/best.kyper" --data "$work/no_input.csv"
expect_command_error ensemble_sequence "is a sequence model (window 8, horizon 4); ensembles of sequence models are not supported" \
  ensemble --catalogue "$work/out" --k 2
expect_command_error ensemble_sequence_gauss "is a sequence model (window 8, horizon 4)" ensemble --catalogue "$work/out_gauss" --k 2
echo "test_cli_sequence: OK"
