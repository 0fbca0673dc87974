#!/usr/bin/env bash
# Neural architecture search through the kyper command: random, aging evolution and AgEBO runs on
# the example data, results.csv with the architecture and parameter count per trial, the best
# architecture as a model file and a readable summary, kill -9 then --resume (nothing finished
# redone), and config errors that name the key.
# With MPIEXEC, AgEBO also runs on 3 ranks, centralized and decentralized.
#   test_cli_nas.sh KYPER SOURCE_DIR WORK_DIR [MPIEXEC]
set -euo pipefail
kyper="$1" src="$2" work="$3" mpiexec="${4:-}"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "test_cli_nas: FAILED: $*" >&2; exit 1; }

config="$work/nas.json"
sed -e "s#\"../data/diabetes.csv\"#\"$src/examples/data/diabetes.csv\"#" \
    -e "s#\"evaluations\": 150#\"evaluations\": 30#" -e "s#\"epochs\": 200#\"epochs\": 25#" \
    -e "s#\"population_size\": 20, \"sample_size\": 5#\"population_size\": 8, \"sample_size\": 3#" \
    -e "s#\"output\": \".*\"#\"output\": \"$work/out\"#" "$src/examples/nas/nas.json" >"$config"
"$kyper" nas --config "$config" | tee "$work/nas.log"
results="$work/out/results.csv"
[ "$(($(wc -l <"$results") - 1))" -eq 30 ] || fail "results.csv should have 30 rows"
header="$(head -1 "$results")"
for column in p:arch_layer_0 p:arch_skip_3 p:learning_rate m:architecture m:parameters; do
  echo "$header" | tr ',' '\n' | grep -qx "$column" || fail "results.csv has no column $column"
done
# Every trial's architecture column repeats its arch_ parameters, and its parameter count is positive.
python3 - "$results" <<'PY' || fail "architecture/parameters columns are inconsistent"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    arch = [r[k] for k in r if k.startswith("p:arch_")]
    assert r["m:architecture"].split() == arch, (r["m:architecture"], arch)
    assert int(r["m:parameters"]) > 0
assert len({r["m:architecture"] + r["p:learning_rate"] for r in rows}) == len(rows)
PY
grep -q "parameters: [0-9]" "$work/out/best_architecture.txt" || fail "no readable best architecture"
grep -q "head: dense 1" "$work/out/best_architecture.txt" || fail "summary lacks the output head"
"$kyper" predict --model "$work/out/best.kyper" --data "$src/examples/data/diabetes.csv" --output "$work/pred.csv" >/dev/null
[ "$(wc -l <"$work/pred.csv")" -eq 443 ] || fail "the best architecture's model should predict 442 rows"
# The report draws the best network: one box per node of the model's graph, an edge per input.
"$kyper" report --output "$work/out" >"$work/report.log" || { cat "$work/report.log" >&2; fail "kyper report failed"; }
python3 - "$work/out/report.html" <<'PYEOF' || fail "the report's architecture section"
import html.parser, re, sys
class Nodes(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.section, self.nodes, self.edges = None, 0, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section": self.section = a.get("id")
        if self.section == "architecture" and tag == "rect" and a.get("class", "").startswith("node"): self.nodes += 1
        if self.section == "architecture" and tag == "line" and a.get("class", "").startswith("edge"): self.edges += 1
p = Nodes()
p.feed(open(sys.argv[1], encoding="utf-8").read())
if p.nodes < 3 or p.edges < p.nodes - 1:
    sys.exit(f"architecture: {p.nodes} nodes, {p.edges} edges")
print(f"architecture drawn: {p.nodes} nodes, {p.edges} edges")
PYEOF

grep -q "architecture space: 8 choices per network" "$work/nas.log" || fail "kyper nas does not print the space's size"

# A NAS with Gaussian outputs feeds AutoDEUQ like an HPS does: its catalogue makes an ensemble.
sed -e "s#\"../data/diabetes.csv\"#\"$src/examples/data/diabetes.csv\"#" -e "s#\"evaluations\": 100#\"evaluations\": 8#" \
    -e "s#\"epochs\": 200#\"epochs\": 25#" -e "s#\"output\": \".*\"#\"output\": \"$work/out_uq\"#" \
    "$src/examples/nas/autodeuq.json" >"$work/nas_uq.json"
"$kyper" nas --config "$work/nas_uq.json" >/dev/null
"$kyper" ensemble --catalogue "$work/out_uq" --k 3 >"$work/nas_ensemble.log" || fail "no ensemble from a NAS catalogue"
"$kyper" predict --ensemble "$work/out_uq/ensemble_robust.json" --data "$src/examples/data/diabetes.csv" --uncertainty \
  --output "$work/nas_uq_pred.csv" >/dev/null
head -1 "$work/nas_uq_pred.csv" | grep -q "progression_epistemic" || fail "NAS ensemble predictions lack the epistemic column"

for algorithm in random evolution; do
  sed -e "s#\"algorithm\": \"agebo\"#\"algorithm\": \"$algorithm\"#" -e "s#\"evaluations\": 30#\"evaluations\": 6#" \
      "$config" >"$work/$algorithm.json"
  "$kyper" nas --config "$work/$algorithm.json" --output "$work/out_$algorithm" >/dev/null
  [ "$(($(wc -l <"$work/out_$algorithm/results.csv") - 1))" -eq 6 ] || fail "$algorithm: 6 rows expected"
done

# kill -9 mid-search, then --resume: finished trials are kept as they were and not redone.
sed -e "s#\"evaluations\": 30#\"evaluations\": 80#" -e "s#\"output\": \".*\"#\"output\": \"$work/killed\"#" \
    "$config" >"$work/kill.json"
setsid "$kyper" nas --config "$work/kill.json" >"$work/killed.log" 2>&1 &
job=$!
for _ in $(seq 1 1200); do
  rows=$( (wc -l <"$work/killed/results.csv") 2>/dev/null || echo 0)
  [ "$rows" -ge 15 ] && break
  sleep 0.02
done
pkill -KILL -s "$job" 2>/dev/null || true
wait "$job" 2>/dev/null || true
# Complete rows on disk at the kill (a last row may be half written).
head -n "$(($(wc -l <"$work/killed/results.csv")))" "$work/killed/results.csv" | tail -n +2 >"$work/before_kill.csv"
before=$(wc -l <"$work/before_kill.csv")
[ "$before" -lt 80 ] || fail "the search finished before it could be killed"
"$kyper" nas --config "$work/kill.json" --resume | tee "$work/resumed.log"
grep -q "from a previous run" "$work/resumed.log" || fail "resume did not reuse finished trials"
python3 - "$work/before_kill.csv" "$work/killed/results.csv" <<'PY' || fail "resume lost or redid finished trials"
import csv, sys
before = [l for l in open(sys.argv[1]).read().splitlines() if l]
after = list(csv.reader(open(sys.argv[2])))[1:]
ids = [r[0] for r in after]
assert len(after) == 80, len(after)
assert len(set(ids)) == 80, "a trial id appears twice"
after_lines = open(sys.argv[2]).read().splitlines()[1:]
for line in before:
    assert line in after_lines, "finished row changed or vanished: " + line[:60]
arch = {tuple(r[1:12]) for r in after}
assert len(arch) == 80, "a configuration was evaluated twice"
PY

if [ -n "$mpiexec" ]; then
  for mode in centralized decentralized; do
    sed -e "s#\"evaluations\": 30#\"evaluations\": 18#" -e "s#\"seed\": 1}#\"seed\": 1, \"mode\": \"$mode\"}#" \
        -e "s#\"output\": \".*\"#\"output\": \"$work/mpi_$mode\"#" "$config" >"$work/mpi_$mode.json"
    grep -q "\"mode\": \"$mode\"" "$work/mpi_$mode.json" || fail "could not set mode $mode"
    "$mpiexec" -n 3 ${KYPER_MPIEXEC_PREFLAGS:-} "$kyper" nas --config "$work/mpi_$mode.json" >"$work/mpi_$mode.log" 2>&1 \
      || { cat "$work/mpi_$mode.log" >&2; fail "AgEBO on 3 ranks ($mode) failed"; }
    python3 - "$work/mpi_$mode/results.csv" <<'PY' || fail "AgEBO on 3 ranks ($mode): results.csv is wrong"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 18, len(rows)
assert len({r["job_id"] for r in rows}) == 18, "a trial id appears twice"
assert len({tuple(v for k, v in r.items() if k.startswith("p:")) for r in rows}) == 18, "a configuration ran twice"
PY
    [ -f "$work/mpi_$mode/best_architecture.txt" ] || fail "AgEBO on 3 ranks ($mode): no best architecture"
  done
fi

# Bad configs name the file and the key.
expect_error() {  # expect_error NAME SED-EXPRESSION EXPECTED-TEXT [COMMAND]
  sed -e "$2" "$config" >"$work/$1.json"
  if "$kyper" "${4:-nas}" --config "$work/$1.json" --output "$work/bad_$1" >"$work/$1.log" 2>&1; then
    fail "$1: the bad config was accepted"
  fi
  grep -qF -- "$3" "$work/$1.log" || { cat "$work/$1.log" >&2; fail "$1: error does not say '$3'"; }
}
expect_error bad_preset_key 's#"anchors": 2#"anchor": 2#' "key 'architecture.anchor'"
expect_error bad_units 's#"units": \[8, 16, 32, 64\]#"units": [8, -16]#' "architecture.units"
expect_error mlp_param 's#{"name": "batch_size"#{"name": "units", "type": "int", "low": 8, "high": 64}, {"name": "batch_size"#' \
  "shapes the default MLP"
expect_error no_architecture 's#"architecture": {#"architecturex": {#' "architecturex"
sed -e '/"architecture": {/,/},$/d' "$config" >"$work/plain.json"
if "$kyper" nas --config "$work/plain.json" >"$work/plain.log" 2>&1; then fail "nas without architecture accepted"; fi
grep -q 'needs an "architecture" section' "$work/plain.log" || { cat "$work/plain.log" >&2; fail "nas without architecture: unclear error"; }
echo "test_cli_nas: OK"
