#!/usr/bin/env bash
# The kyper command end to end: --version, a search on the example data (then --resume with a
# larger budget), predict from the best model, and config errors that name the file and key.
#   test_cli.sh KYPER SOURCE_DIR WORK_DIR
set -euo pipefail
kyper="$1" src="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "test_cli: FAILED: $*" >&2; exit 1; }

"$kyper" --version | tee "$work/version.txt"
grep -q "execution spaces:.*Serial" "$work/version.txt" || fail "--version does not list the execution spaces"

# Help: the general usage and every command's options, exit 0, never Kokkos' own help.
"$kyper" --help >"$work/help.txt" || fail "kyper --help exits non-zero"
grep -q "kyper <command> --help" "$work/help.txt" || fail "kyper --help does not print the usage"
for command in search nas predict ensemble; do
  "$kyper" "$command" --help >"$work/help_$command.txt" 2>&1 || fail "kyper $command --help exits non-zero"
  grep -q "^usage: kyper $command" "$work/help_$command.txt" || fail "kyper $command --help does not print its usage"
  grep -q "^options:" "$work/help_$command.txt" || fail "kyper $command --help lists no options"
  grep -qi "kokkos-help\|--kokkos-threads" "$work/help_$command.txt" && fail "kyper $command --help printed Kokkos' help"
done
if "$kyper" search --confg x >"$work/typo_option.log" 2>&1; then fail "a misspelt option was accepted"; fi
grep -qF "unknown option '--confg' (did you mean '--config'?); 'kyper search --help' lists the options" "$work/typo_option.log" \
  || { cat "$work/typo_option.log" >&2; fail "a misspelt option is not explained"; }
# Without the user's OpenMP settings, Kyper picks its own and Kokkos prints no warning.
env -u OMP_PROC_BIND -u OMP_NUM_THREADS -u KOKKOS_NUM_THREADS "$kyper" --version >"$work/version_defaults.txt" 2>&1
grep -q "host threads: OMP_PROC_BIND=false (set by kyper" "$work/version_defaults.txt" || fail "--version does not say the thread defaults"
env -u OMP_PROC_BIND -u OMP_NUM_THREADS -u KOKKOS_NUM_THREADS "$kyper" ensemble --help >/dev/null

# A quick search on the example data (absolute paths; budget small for ctest).
config="$work/search.json"
sed -e "s#\"../data/diabetes.csv\"#\"$src/examples/data/diabetes.csv\"#" \
    -e "s#\"evaluations\": 100#\"evaluations\": 8#" -e "s#\"epochs\": 200#\"epochs\": 60#" \
    -e "s#\"output\": \".*\"#\"output\": \"$work/out\"#" "$src/examples/regression/search.json" >"$config"
"$kyper" search --config "$config" | tee "$work/search.log"
[ "$(($(wc -l <"$work/out/results.csv") - 1))" -eq 8 ] || fail "results.csv should have 8 rows"
[ -f "$work/out/best.kyper" ] || fail "no best.kyper"
grep -q '"finished": 8' "$work/out/summary.json" || fail "summary.json does not report 8 trials"

# Running again without --resume must refuse rather than overwrite finished work.
if "$kyper" search --config "$config" >"$work/again.log" 2>&1; then fail "a second run overwrote results"; fi
grep -q "pass --resume" "$work/again.log" || fail "no hint to use --resume"

# --resume with a larger budget keeps the 8 finished trials and runs 4 more.
sed -i "s#\"evaluations\": 8#\"evaluations\": 12#" "$config"
"$kyper" search --config "$config" --resume | tee "$work/resume.log"
grep -q "8 from a previous run" "$work/resume.log" || fail "resume did not reuse the 8 finished trials"
[ "$(($(wc -l <"$work/out/results.csv") - 1))" -eq 12 ] || fail "results.csv should have 12 rows after resume"

env -u OMP_PROC_BIND -u OMP_NUM_THREADS -u KOKKOS_NUM_THREADS \
  "$kyper" predict --model "$work/out/best.kyper" --data "$src/examples/data/diabetes.csv" --output "$work/pred.csv" 2>"$work/predict_stderr.txt"
grep -q "OMP_PROC_BIND" "$work/predict_stderr.txt" && { cat "$work/predict_stderr.txt" >&2; fail "Kokkos warned about OMP_PROC_BIND"; }
head -1 "$work/pred.csv" | grep -qx "progression_mean" || fail "a point model's column should be progression_mean: $(head -1 "$work/pred.csv")"
[ "$(wc -l <"$work/pred.csv")" -eq 443 ] || fail "predict should write 442 rows + header"

# Bad configs: each error names the file and the key.
expect_error() {  # expect_error NAME SED-EXPRESSION EXPECTED-TEXT
  sed -e "$2" "$config" >"$work/$1.json"
  if "$kyper" search --config "$work/$1.json" --output "$work/bad_$1" >"$work/$1.log" 2>&1; then
    fail "$1: the bad config was accepted"
  fi
  grep -qF "$3" "$work/$1.log" || { cat "$work/$1.log" >&2; fail "$1: error does not say '$3'"; }
  # A user-facing message names the user's input, never a file of Kyper's own sources.
  if grep -qE "\.(cpp|hpp):[0-9]+" "$work/$1.log"; then cat "$work/$1.log" >&2; fail "$1: error shows a source path"; fi
}
expect_error unknown_key 's#"evaluations": 12#"evals": 12#' "$work/unknown_key.json: key 'budget.evals' is not a known key"
expect_error wrong_type 's#"epochs": 60#"epochs": "many"#' "key 'training.epochs' must be an integer"
expect_error out_of_range 's#"validation_fraction": 0.2#"validation_fraction": 1.5#' "key 'dataset.validation_fraction' must be in"
expect_error bad_column 's#"progression"#"progresion"#' "progresion"
expect_error bad_space 's#"low": 8, "high": 128, "log": true, "ratio": 2#"low": 128, "high": 8#' "batch_size"
expect_error bad_json 's#"task": "regression",#"task": "regression"#' "not valid JSON"
expect_error misspelt_space_key 's#"log": true, "ratio": 2#"lgo": true, "ratio": 2#' "key 'space.parameters[1].lgo' is not a known key (did you mean 'log'?)"
expect_error misspelt_section 's#"budget":#"budgte":#' "key 'budgte' is not a known key (did you mean 'budget'?)"
expect_error bad_optimizer 's#"epochs": 60#"epochs": 60, "optimizer": "adma"#' "unknown optimizer 'adma' (did you mean 'adam'?)"
expect_error bad_transform 's#"kappa": 1.96#"kappa": 1.96, "objective_transform": "sqrt"#' \
  "key 'search.objective_transform' must be auto, none, log or rank, got 'sqrt'"
expect_error bad_liar 's#"kappa": 1.96#"kappa": 1.96, "liar": "cl_median"#' \
  "key 'search.liar' must be auto, cl_worst, cl_mean, cl_best, believer or qUCB, got 'cl_median'"
expect_error bad_pending_kappa 's#"kappa": 1.96#"kappa": 1.96, "pending_kappa": -1#' "key 'search.pending_kappa' must be in"
expect_error bad_stopped_rule 's#"kappa": 1.96#"kappa": 1.96, "stopped_trials": "drop"#' \
  "key 'search.stopped_trials' must be below_further, as_reported or ignore, got 'drop'"
expect_error baseline_for_classes 's#"epochs": 60#"epochs": 60, "linear_baseline": true, "loss": "cross_entropy"#' \
  "key 'training.linear_baseline' needs a regression loss, not cross_entropy"
expect_error baseline_not_boolean 's#"epochs": 60#"epochs": 60, "linear_baseline": "yes"#' "training.linear_baseline"
# The objective transform is a job key: the start-up line says which one the CBO uses.
sed -e 's#"kappa": 1.96#"kappa": 1.96, "objective_transform": "rank"#' -e 's#"evaluations": 12#"evaluations": 1#' \
  "$config" >"$work/transform.json"
"$kyper" search --config "$work/transform.json" --output "$work/out_transform" >"$work/transform.log"
grep -q "rank-normalised objective" "$work/transform.log" || { cat "$work/transform.log" >&2; fail "objective_transform: rank not used"; }

# Errors of other commands: the data file, the model file, an option; no source paths either.
expect_command_error() {  # expect_command_error NAME EXPECTED-TEXT ARGS...
  local name="$1" expected="$2"
  shift 2
  if "$kyper" "$@" >"$work/$name.log" 2>&1; then fail "$name: accepted"; fi
  grep -qF "$expected" "$work/$name.log" || { cat "$work/$name.log" >&2; fail "$name: error does not say '$expected'"; }
  if grep -qE "\.(cpp|hpp):[0-9]+" "$work/$name.log"; then cat "$work/$name.log" >&2; fail "$name: error shows a source path"; fi
}
printf 'age,sex\n1,x\n' >"$work/bad_data.csv"
expect_command_error predict_bad_data "bad_data.csv:2: column 'sex' (2): expected a number" \
  predict --model "$work/out/best.kyper" --data "$work/bad_data.csv"
echo "not a model" >"$work/not_a_model.kyper"
expect_command_error predict_bad_model "not_a_model.kyper" predict --model "$work/not_a_model.kyper" --data "$src/examples/data/diabetes.csv"
expect_command_error ensemble_bad_k "option --k needs a whole number >= 1, got 'zero'" ensemble --catalogue "$work/out" --k zero
# --verbose adds where in Kyper the error was raised, as a path relative to the source tree.
"$kyper" predict --model "$work/not_a_model.kyper" --data "$src/examples/data/diabetes.csv" --verbose >"$work/verbose.log" 2>&1 && fail "verbose: accepted"
grep -qE "\[src/core/model\.cpp:[0-9]+\]" "$work/verbose.log" || { cat "$work/verbose.log" >&2; fail "--verbose does not show the source location"; }
grep -qE "$src/(src|base|search|uq|kernels)/" "$work/verbose.log" && fail "--verbose shows this machine's source path"

# Kokkos options reach Kokkos (on every supported version), not Kyper's option parser.
env -u KOKKOS_NUM_THREADS "$kyper" predict --kokkos-num-threads=1 --model "$work/out/best.kyper" --data "$src/examples/data/diabetes.csv" \
  --output "$work/pred1.csv" >"$work/kokkos_option.log" 2>&1 || { cat "$work/kokkos_option.log" >&2; fail "--kokkos-num-threads was not taken by Kokkos"; }
cmp -s "$work/pred.csv" "$work/pred1.csv" || fail "predictions with --kokkos-num-threads=1 differ"
echo "test_cli: OK"
