#!/usr/bin/env bash
# AutoDEUQ through the kyper command: a Gaussian-regression search leaves a catalogue, `kyper
# ensemble` selects from it (greedy, top-K) or retrains a random-init baseline, and `kyper predict
# --ensemble --uncertainty` writes mean/variance/aleatoric/epistemic columns. Bad input is named.
#   test_cli_ensemble.sh KYPER SOURCE_DIR WORK_DIR
set -euo pipefail
kyper="$1" src="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "test_cli_ensemble: FAILED: $*" >&2; exit 1; }

config="$work/autodeuq.json"
sed -e "s#\"../data/diabetes.csv\"#\"$src/examples/data/diabetes.csv\"#" \
    -e "s#\"evaluations\": 60#\"evaluations\": 10#" -e "s#\"epochs\": 200#\"epochs\": 60#" \
    -e "s#\"output\": \".*\"#\"output\": \"$work/out\"#" "$src/examples/regression/autodeuq.json" >"$config"
"$kyper" search --config "$config" >"$work/search.log"
ls "$work"/out/models/trial_*.validation.csv >/dev/null || fail "the search kept no validation predictions"

# The default (robust): this catalogue's ~88 validation rows are too few for greedy selection, so
# it takes the top 3, and says so; every method keeps its own manifest.
"$kyper" ensemble --catalogue "$work/out" --k 3 | tee "$work/robust.log"
grep -q "^rule: robust: top 3 by validation NLL" "$work/robust.log" || fail "the default does not say its rule"
[ "$(grep -o '"weight"' "$work/out/ensemble_robust.json" | wc -l)" -eq 3 ] || fail "the default ensemble should have 3 members"
"$kyper" ensemble --catalogue "$work/out" --k 3 --method greedy | tee "$work/greedy.log"
[ -f "$work/out/ensemble_robust.json" ] || fail "greedy overwrote the default ensemble"
grep -q '"method":"greedy"' "$work/out/ensemble_greedy.json" || fail "no greedy ensemble_greedy.json"
# The greedy NLL trace never increases.
awk '/validation NLL by step:/ { for (i = 10; i <= NF; ++i) { if (i > 10 && $i > prev + 1e-12) exit 1; prev = $i }; if (NF < 10) exit 1 }' \
  "$work/greedy.log" || fail "greedy validation NLL increased"

"$kyper" ensemble --catalogue "$work/out" --k 3 --method topk --output "$work/topk.json" >/dev/null
[ "$(grep -o '"weight"' "$work/topk.json" | wc -l)" -eq 3 ] || fail "top-3 should have 3 members"

"$kyper" ensemble --catalogue "$work/out" --k 2 --method random-init --config "$config" | tee "$work/random.log"
[ "$(ls "$work"/out/random_init/models/*.kyper | wc -l)" -eq 2 ] || fail "random-init should train 2 models"

"$kyper" predict --ensemble "$work/out/ensemble_greedy.json" --data "$src/examples/data/diabetes.csv" --uncertainty \
  --output "$work/pred.csv" | tee "$work/predict.log"
head -1 "$work/pred.csv" | grep -qx "progression_mean,progression_variance,progression_aleatoric,progression_epistemic,progression_lower95,progression_upper95" \
  || fail "unexpected columns: $(head -1 "$work/pred.csv")"
[ "$(wc -l <"$work/pred.csv")" -eq 443 ] || fail "predict should write 442 rows + header"
# total = aleatoric + epistemic, both >= 0, and the interval holds the mean.
awk -F, 'NR > 1 { if ($3 < 0 || $4 < 0 || ($2 - $3 - $4) > 1e-4 * $2 || ($3 + $4 - $2) > 1e-4 * $2 || $5 > $1 || $6 < $1) exit 1 }' \
  "$work/pred.csv" || fail "ensemble columns are inconsistent"
grep -q "NLL .* (mixture) .* (Gaussian of mean and variance) .* coverage95" "$work/predict.log" || fail "data with targets should be scored, both NLLs named"
# Without --uncertainty the ensemble writes what a single Gaussian model writes; a single model
# prints the same scores (its mixture of one: the two NLLs agree).
"$kyper" predict --ensemble "$work/out/ensemble_greedy.json" --data "$src/examples/data/diabetes.csv" --output "$work/pred_plain.csv" >/dev/null
head -1 "$work/pred_plain.csv" | grep -qx "progression_mean,progression_variance" || fail "unexpected columns: $(head -1 "$work/pred_plain.csv")"
"$kyper" predict --model "$work/out/best.kyper" --data "$src/examples/data/diabetes.csv" --output "$work/pred_model.csv" | tee "$work/predict_model.log"
head -1 "$work/pred_model.csv" | grep -qx "progression_mean,progression_variance" || fail "unexpected model columns: $(head -1 "$work/pred_model.csv")"
awk '/NLL/ { if ($3 != $5) exit 1; found = 1 } END { exit !found }' "$work/predict_model.log" \
  || { cat "$work/predict_model.log" >&2; fail "a single model's mixture and Gaussian NLL should agree and be printed"; }

# Bad input.
expect_error() {  # expect_error NAME EXPECTED-TEXT COMMAND...
  local name="$1" text="$2"
  shift 2
  if "$@" >"$work/$name.log" 2>&1; then fail "$name: accepted"; fi
  grep -qF -- "$text" "$work/$name.log" || { cat "$work/$name.log" >&2; fail "$name: error does not say '$text'"; }
}
expect_error bad_k "option --k needs a whole number >= 1, got '0'" "$kyper" ensemble --catalogue "$work/out" --k 0
expect_error bad_method "valid: topk, greedy" "$kyper" ensemble --catalogue "$work/out" --method best
expect_error no_folder "does not exist" "$kyper" ensemble --catalogue "$work/nowhere"
expect_error no_config "needs --config" "$kyper" ensemble --catalogue "$work/out" --method random-init
expect_error model_uncertainty "--uncertainty needs --ensemble" \
  "$kyper" predict --model "$work/out/best.kyper" --data "$src/examples/data/diabetes.csv" --uncertainty
sed 's#"weight":[0-9.e-]*#"weight":-1#' "$work/out/ensemble_greedy.json" >"$work/bad_weight.json"
expect_error bad_weight "bad_weight.json: key 'members[0].weight' must be a number > 0" \
  "$kyper" predict --ensemble "$work/bad_weight.json" --data "$src/examples/data/diabetes.csv"
# A plain (MSE) regression catalogue has no variance to build uncertainty from.
mkdir -p "$work/mse/models"
printf 'progression,true:progression\n1,2\n' >"$work/mse/models/trial_0.validation.csv"
cp "$work/out/best.kyper" "$work/mse/models/trial_0.kyper"
expect_error mse_catalogue "gaussian_regression" "$kyper" ensemble --catalogue "$work/mse"
echo "test_cli_ensemble: OK"
