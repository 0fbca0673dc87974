#!/usr/bin/env bash
# kyper report after real searches: a 1-D Gaussian regression on 2 MPI ranks (when MPI is there)
# with an ensemble, and a two-class classification with an ensemble. The page is parsed as HTML
# (Python's html.parser): each section present, its counts equal to results.csv, the 1-D epistemic
# view, the ROC curves; then the bad input the issue names. Leaves WORK_DIR/regression/report.html
# for the browser test.
#   test_cli_report.sh KYPER SOURCE_DIR WORK_DIR [MPIEXEC]
set -euo pipefail
kyper="$1" src="$2" work="$3" mpiexec="${4:-}"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "test_cli_report: FAILED: $*" >&2; exit 1; }

# Data: y = sin(x) + noise growing with |x| on x in [-2, 2]; labels: x1 + x2 > 0 with 10% flipped.
awk 'BEGIN { srand(5); print "x,y"; for (i = 0; i < 240; i++) { x = -2 + 4 * rand();
       u1 = rand(); u2 = rand(); n = sqrt(-2 * log(u1 + 1e-12)) * cos(6.2831853 * u2);
       printf "%.6f,%.6f\n", x, sin(x) + (0.05 + 0.15 * (x < 0 ? -x : x)) * n } }' >"$work/wave.csv"
awk 'BEGIN { srand(9); print "a,b,label"; for (i = 0; i < 300; i++) { a = 2 * rand() - 1; b = 2 * rand() - 1;
       c = (a + b > 0); if (rand() < 0.1) c = 1 - c; printf "%.6f,%.6f,%d\n", a, b, c } }' >"$work/two_class.csv"

job() {  # job NAME TASK TARGET EVALUATIONS
  cat >"$work/$1.json" <<EOF
{
  "dataset": {"path": "$work/$4.csv", "targets": ["$3"], "validation_fraction": 0.25, "split_seed": 3},
  "task": "$2",
  "training": {"epochs": 25, "patience": 10, "batch_size": 32},
  "space": {"parameters": [
    {"name": "learning_rate", "type": "float", "low": 1e-3, "high": 3e-2, "log": true},
    {"name": "units", "type": "int", "low": 8, "high": 32},
    {"name": "activation", "type": "categorical", "choices": ["relu", "tanh"]}
  ]},
  "search": {"algorithm": "random", "seed": 4},
  "budget": {"evaluations": 12},
  "output": "$work/$1"
}
EOF
}
job regression gaussian_regression y wave
job classification classification label two_class

ranks=1
if [ -n "$mpiexec" ]; then
  # shellcheck disable=SC2086
  "$mpiexec" -n 2 ${KYPER_MPIEXEC_PREFLAGS:-} "$kyper" search --config "$work/regression.json" >"$work/regression.log"
  ranks=2
else
  "$kyper" search --config "$work/regression.json" >"$work/regression.log"
fi
grep -q "analytics: kyper report --output $work/regression" "$work/regression.log" ||
  { cat "$work/regression.log" >&2; fail "the search does not print the report command"; }
[ -f "$work/regression/space.json" ] || fail "the search left no space.json"
"$kyper" ensemble --catalogue "$work/regression" --k 3 --method topk >/dev/null
"$kyper" report --output "$work/regression" --top 5 | tee "$work/report.log"
grep -q "report: $work/regression/report.html" "$work/report.log" || fail "no report line"

# Half the budget, then a resume to the full one: the curves of the first run's trials must come
# through the resume (they live in results.csv's metadata).
sed 's/"evaluations": 12/"evaluations": 6/' "$work/classification.json" >"$work/classification_half.json"
"$kyper" search --config "$work/classification_half.json" >/dev/null
"$kyper" search --config "$work/classification.json" --resume >"$work/resume.log"
grep -q "6 from a previous run" "$work/resume.log" || { cat "$work/resume.log" >&2; fail "the resume did not read 6 trials back"; }
"$kyper" ensemble --catalogue "$work/classification" --k 3 --method topk >/dev/null
"$kyper" report --output "$work/classification" --title "two classes" >/dev/null

python3 - "$work" "$ranks" <<'PYEOF'
import csv, html.parser, json, sys
work, ranks = sys.argv[1], int(sys.argv[2])

class Page(html.parser.HTMLParser):
    """Counts elements per section: (section id, tag, class) -> n, and keeps titles and text."""
    def __init__(self):
        super().__init__()
        self.section, self.counts, self.text, self.titles = None, {}, {}, []
        self.in_title = False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id")
        key = (self.section, tag, a.get("class", ""))
        self.counts[key] = self.counts.get(key, 0) + 1
        self.in_title = tag == "title"
    def handle_endtag(self, tag):
        if tag == "section":
            self.section = None
        self.in_title = False
    def handle_data(self, data):
        self.text[self.section] = self.text.get(self.section, "") + data
        if self.in_title:
            self.titles.append((self.section, data))
    def n(self, section, tag, cls=""):
        return self.counts.get((section, tag, cls), 0)
    def sections(self):
        return sorted({k[0] for k in self.counts if k[0]})

def check(ok, what):
    if not ok:
        sys.exit("test_cli_report: FAILED: " + what)

def read(folder):
    page = Page()
    page.feed(open(f"{work}/{folder}/report.html", encoding="utf-8").read())
    rows = list(csv.DictReader(open(f"{work}/{folder}/results.csv", encoding="utf-8")))
    return page, rows

page, rows = read("regression")
ok = [r for r in rows if r["status"] == "done"]
failed = len(rows) - len(ok)
for s in ["trajectory", "utilisation", "top", "importance", "curves", "ensembles"]:
    check(s in page.sections(), f"regression: section {s} missing (have {page.sections()})")
check(page.n("trajectory", "circle", "trial") == 2 * len(ok),
      f"trajectory: {page.n('trajectory', 'circle', 'trial')} points for {len(ok)} successful trials (two charts)")
check(page.n("trajectory", "path", "failed") == 2 * failed, "trajectory: one cross per failed trial and chart")
check(page.n("utilisation", "rect", "run") + page.n("utilisation", "rect", "run failed") == len(rows),
      "utilisation: one bar per trial")
check(f"over {ranks} rank(s)" in page.text["utilisation"], "utilisation: the scheduler's figure over the ranks")
check(page.n("top", "tr") == 6, "top: 5 rows and a header")
check(page.n("top", "path", "pc best") == 1 and page.n("top", "path", "pc") == 4, "top: 5 parallel-coordinate lines")
check("permutation importance" in page.text["importance"], "importance: the method is named")
check(page.n("curves", "path", "curve c0") == 1 and page.n("curves", "path", "curve train c0") == 1,
      "curves: validation and training loss of the best trial")
check("ensemble_topk.json" in page.text["ensembles"], "ensembles: the manifest")
check(page.n("ensembles", "svg") == 3, "ensembles: predicted vs true, reliability and the 1-D epistemic view")
check(any(s == "ensembles" and "epistemic" in t for s, t in page.titles), "ensembles: the epistemic view")

page, rows = read("classification")
check(len(rows) == 12, f"classification: {len(rows)} rows after the resume")
for r in rows:
    if r["status"] != "done":
        continue
    meta = json.loads(r["metadata"])
    epochs = int(r["m:epochs"])
    check(len(meta["learning_curve"].split(";")) == epochs and len(meta["train_curve"].split(";")) == epochs,
          f"classification: trial {r['job_id']} lost its curves ({epochs} epochs)")
check(page.n("curves", "path", "curve c0") == 1, "classification: curves of the best trial")
check("ensembles" in page.sections(), "classification: no ensembles section")
check("accuracy" in page.text["ensembles"] and "ECE" in page.text["ensembles"], "classification: accuracy and ECE")
check(any(s == "ensembles" and "AUC" in t for s, t in page.titles), "classification: ROC curves with AUC")
check(page.n(None, "h1") == 1 and "two classes" in page.text[None], "classification: the title")
print("pages parsed: OK")
PYEOF

# Bad input: each a clear error naming the file or folder, never a crash.
expect_error() {  # expect_error NAME EXPECTED-TEXT COMMAND...
  local name="$1" text="$2"
  shift 2
  if "$@" >"$work/$name.log" 2>&1; then fail "$name: accepted"; fi
  grep -qF -- "$text" "$work/$name.log" || { cat "$work/$name.log" >&2; fail "$name: error does not say '$text'"; }
}
expect_error no_folder "$work/nowhere: no such folder" "$kyper" report --output "$work/nowhere"
mkdir -p "$work/empty"
expect_error no_results "$work/empty/results.csv: missing" "$kyper" report --output "$work/empty"
expect_error bad_top "option --top needs a whole number >= 1" "$kyper" report --output "$work/regression" --top 0
expect_error unknown_option "unknown option '--outptu'" "$kyper" report --outptu "$work/regression"
cp -r "$work/regression" "$work/torn"
printf '99,0.01,not-a-number\n' >>"$work/torn/results.csv"
expect_error torn_row "torn/results.csv" "$kyper" report --output "$work/torn"
# Without its models folder an ensemble is a note, not an error.
cp -r "$work/regression" "$work/no_models" && rm -rf "$work/no_models/models"
"$kyper" report --output "$work/no_models" >"$work/no_models.log" || fail "a folder without models/ should still give a page"
grep -q "not shown: ensembles:" "$work/no_models.log" || { cat "$work/no_models.log" >&2; fail "no note about the ensemble"; }
echo "test_cli_report: OK"
