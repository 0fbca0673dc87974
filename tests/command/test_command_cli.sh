#!/usr/bin/env bash
# `kyper search` with a command objective, end to end: a search over a shell script (objective from
# a JSON field, metadata, ints as ints), --resume that never re-runs a finished trial, timeouts that
# fail a trial while the search goes on, bad jobs named by file and key, and kill -9 of the search
# leaving no trial process running (a child that ignores SIGTERM included), then --resume.
#   test_command_cli.sh KYPER WORK_DIR
set -euo pipefail
kyper="$1" work="$2"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "test_command_cli: FAILED: $*" >&2; exit 1; }
rows() { echo $(($(wc -l <"$1") - 1)); }
# column FILE NAME: the values of one column of a results.csv (no quoted cells in these tests)
column() { awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == name) c = i; next } { print $c }' "$1"; }

# --- a search over a script: the last JSON line's field, metadata, resume ---
cat >"$work/trial.sh" <<'EOF'
#!/bin/sh
# trial.sh X N KIND: a smooth objective of x and n, printed as JSON after some noise.
echo "$KYPER_TRIAL_ID" >>"$KYPER_JOB_DIR/calls.log"
echo "training with x=$1 n=$2 kind=$3"
echo '{"note": "not the last line"}'
awk -v x="$1" -v n="$2" -v kind="$3" 'BEGIN { loss = (x - 0.3)^2 + (n - 3)^2 / 100 + (kind == "b" ? 0.01 : 0);
  printf "{\"loss\": %.17g, \"n\": %d, \"kind\": \"%s\"}\n", loss, n, kind }'
echo "done"
EOF
chmod +x "$work/trial.sh"
cat >"$work/job.json" <<EOF
{
  "objective": {"command": ["./trial.sh", "{x}", "{n}", "{kind}"], "field": "loss", "metadata": ["n", "kind"],
                "env": {"KYPER_JOB_DIR": "{job_dir}"}},
  "space": {"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1},
                           {"name": "n", "type": "int", "low": 1, "high": 8},
                           {"name": "kind", "type": "categorical", "choices": ["a", "b"]}]},
  "search": {"algorithm": "cbo", "minimize": true, "seed": 3},
  "budget": {"evaluations": 6},
  "output": "out"
}
EOF
"$kyper" search --config "$work/job.json" >"$work/search.log" 2>&1 || { cat "$work/search.log" >&2; fail "the command search failed"; }
[ "$(rows "$work/out/results.csv")" -eq 6 ] || fail "results.csv should have 6 rows"
[ "$(column "$work/out/results.csv" status | sort -u)" = "done" ] || { cat "$work/out/results.csv" >&2; fail "every trial should succeed"; }
column "$work/out/results.csv" m:n | grep -qvx '[1-8]' && fail "m:n should hold the integers the script printed"
[ -f "$work/out/trials/0/stdout.txt" ] || fail "no trial folder with the command's stdout"
grep -q "training with x=.* n=[1-8] kind=[ab]$" "$work/out/trials/0/stdout.txt" || fail "the arguments are not formatted as expected"
grep -q '"best"' "$work/out/summary.json" || fail "summary.json has no best trial"

sed -i 's/"evaluations": 6/"evaluations": 9/' "$work/job.json"
"$kyper" search --config "$work/job.json" --resume >"$work/resume.log" 2>&1 || { cat "$work/resume.log" >&2; fail "--resume failed"; }
grep -q "6 from a previous run" "$work/resume.log" || fail "--resume did not read back the 6 finished trials"
[ "$(rows "$work/out/results.csv")" -eq 9 ] || fail "results.csv should have 9 rows after --resume"
[ "$(wc -l <"$work/calls.log")" -eq 9 ] || fail "a finished trial ran again on --resume ($(wc -l <"$work/calls.log") calls for 9 trials)"

# --- timeouts: the trial fails, the search goes on ---
cat >"$work/timeout.json" <<EOF
{
  "objective": {"command": ["sh", "-c", "if [ {n} -gt 4 ]; then sleep 1000; fi; echo {n}"], "grace_seconds": 0.5},
  "space": {"parameters": [{"name": "n", "type": "int", "low": 1, "high": 8}]},
  "search": {"algorithm": "random", "seed": 1},
  "budget": {"evaluations": 8, "trial_timeout": 1},
  "output": "out_timeout"
}
EOF
"$kyper" search --config "$work/timeout.json" >"$work/timeout.log" 2>&1 || { cat "$work/timeout.log" >&2; fail "the timeout search failed"; }
[ "$(rows "$work/out_timeout/results.csv")" -eq 8 ] || fail "the search should finish 8 trials despite timeouts"
paste -d, <(column "$work/out_timeout/results.csv" p:n) <(column "$work/out_timeout/results.csv" status) >"$work/timeout_pairs.txt"
grep -q '^[5-8],failed$' "$work/timeout_pairs.txt" || { cat "$work/out_timeout/results.csv" >&2; fail "no trial timed out"; }
grep -q '^[1-4],done$' "$work/timeout_pairs.txt" || fail "no trial finished in time"
grep -q '^[5-8],done$' "$work/timeout_pairs.txt" && fail "a trial that sleeps 1000 s finished"
grep -q '^[1-4],failed$' "$work/timeout_pairs.txt" && fail "a quick trial failed"
grep -q "timeout" "$work/out_timeout/results.csv" || fail "the timeout is not the reason"

# --- multi-fidelity: progress lines go to the stopper, which stops hopeless commands ---
# Nine steps of 50 ms; the value at step i approaches -(x - 0.3)^2 from below. ASHA (eta 3, rungs
# at 1, 3, 9) lets a third of the trials at a rung go on to the next.
cat >"$work/progress.sh" <<'EOF'
#!/bin/sh
awk -v x="$1" 'BEGIN { for (i = 1; i <= 9; i++) { v = -(x - 0.3)^2 - 1 / i; printf "kyper-progress %d %.6f\n", i, v;
  fflush(); system("sleep 0.05") } print v }'
EOF
chmod +x "$work/progress.sh"
cat >"$work/progress.json" <<EOF
{
  "objective": {"command": ["./progress.sh", "{x}"]},
  "space": {"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}]},
  "search": {"algorithm": "random", "seed": 5, "stopper": {"kind": "asha", "max_budget": 9}},
  "budget": {"evaluations": 12},
  "output": "out_progress"
}
EOF
"$kyper" search --config "$work/progress.json" >"$work/progress.log" 2>&1 || { cat "$work/progress.log" >&2; fail "the progress search failed"; }
[ "$(rows "$work/out_progress/results.csv")" -eq 12 ] || fail "the progress search should record 12 trials"
[ "$(column "$work/out_progress/results.csv" status | sort -u)" = "done" ] || fail "a stopped command is done, not failed"
stopped="$(column "$work/out_progress/results.csv" m:stopped_early | grep -c true || true)"
[ "$stopped" -ge 3 ] || { cat "$work/out_progress/results.csv" >&2; fail "ASHA should stop at least 3 of 12 commands, stopped $stopped"; }
# A stopped trial used less than its full budget, and its metadata says how it ended.
awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) { if ($i == "m:budget") b = i; if ($i == "m:stopped_early") s = i } next }
         $s == "true" && $b >= 9 { bad = 1 } END { exit bad }' "$work/out_progress/results.csv" ||
  fail "a stopped trial should have used less than its full budget"
grep -q 'stopped early (SIGTERM' "$work/out_progress/results.csv" || fail "metadata exit should say the command was stopped"
[ "$(grep -c . "$work/out_progress/progress.csv")" -gt 12 ] || fail "progress.csv should hold the reports"
# Without max_budget a command's progress has no unit: the error says so.
sed 's/, "max_budget": 9//' "$work/progress.json" >"$work/progress_no_budget.json"
if "$kyper" search --config "$work/progress_no_budget.json" >"$work/progress_no_budget.log" 2>&1; then fail "a stopper without max_budget accepted"; fi
grep -qF "progress_no_budget.json: key 'search.stopper.max_budget' is needed with a command objective" "$work/progress_no_budget.log" ||
  { cat "$work/progress_no_budget.log" >&2; fail "the missing max_budget is not named"; }

# --- bad jobs: errors name the file and the key, never Kyper's source ---
expect_error() {  # expect_error NAME JSON EXPECTED-TEXT
  printf '%s\n' "$2" >"$work/$1.json"
  if "$kyper" search --config "$work/$1.json" >"$work/$1.log" 2>&1; then fail "$1: the bad job was accepted"; fi
  grep -qF -- "$3" "$work/$1.log" || { cat "$work/$1.log" >&2; fail "$1: expected '$3'"; }
  grep -qE '\.(cpp|hpp)' "$work/$1.log" && { cat "$work/$1.log" >&2; fail "$1: the error shows a source path"; }
  return 0
}
space='"space": {"parameters": [{"name": "lr0", "type": "float", "low": 0.001, "high": 0.1}]}, "budget": {"evaluations": 2}'
expect_error bad_placeholder "{\"objective\": {\"command\": [\"sh\", \"-c\", \"echo {lr}\"]}, $space}" \
  "bad_placeholder.json: key 'objective.command[2]' names no parameter 'lr' (did you mean 'lr0'?)"
expect_error empty_command "{\"objective\": {\"command\": []}, $space}" \
  "empty_command.json: key 'objective.command' is empty"
expect_error string_command "{\"objective\": {\"command\": \"python3 train.py\"}, $space}" \
  "string_command.json: key 'objective.command' must be an array of strings"
expect_error missing_program "{\"objective\": {\"command\": [\"kyper-no-such-program\", \"{lr0}\"]}, $space}" \
  "missing_program.json: key 'objective.command[0]': program 'kyper-no-such-program' not found on PATH"
printf 'echo 1\n' >"$work/not_executable.sh"
expect_error not_executable "{\"objective\": {\"command\": [\"./not_executable.sh\"]}, $space}" \
  "not_executable.json: key 'objective.command[0]': program './not_executable.sh' is not executable"
expect_error with_dataset "{\"objective\": {\"command\": [\"true\"]}, \"dataset\": {\"path\": \"x.csv\"}, $space}" \
  "with_dataset.json: key 'dataset' is not used with a command objective"
expect_error misspelt_key "{\"objective\": {\"command\": [\"true\"], \"feild\": \"loss\"}, $space}" \
  "misspelt_key.json: key 'objective.feild' is not a known key (did you mean 'field'?)"
expect_error bad_config "{\"objective\": {\"command\": [\"true\"], \"config\": \"json\"}, $space}" \
  "bad_config.json: key 'objective.config' must be none, file or stdin, got 'json'"
expect_error unclosed "{\"objective\": {\"command\": [\"echo\", \"--lr={lr0\"]}, $space}" \
  "unclosed.json: key 'objective.command[1]': '--lr={lr0' has a '{' without '}'"

# --- kill -9 of the search: no trial process survives; --resume goes on ---
cat >"$work/orphan.sh" <<'EOF'
#!/bin/sh
# A trial with a child that ignores SIGTERM and a grandchild, all recorded in $1, that never ends.
sh -c 'trap "" TERM; echo $$ >>"$0"; exec sleep 1000' "$1" &
sleep 1000 &
echo $! >>"$1"
echo $$ >>"$1"
wait
EOF
chmod +x "$work/orphan.sh"
cat >"$work/orphan.json" <<EOF
{
  "objective": {"command": ["./orphan.sh", "{job_dir}/orphan.pids"], "grace_seconds": 1},
  "space": {"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}]},
  "search": {"algorithm": "random"},
  "budget": {"evaluations": 3},
  "output": "out_orphan"
}
EOF
"$kyper" search --config "$work/orphan.json" >"$work/orphan.log" 2>&1 &
search_pid=$!
cleanup() {  # only the processes this test recorded
  kill -9 "$search_pid" 2>/dev/null || true
  [ -f "$work/orphan.pids" ] && while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$work/orphan.pids"
  return 0
}
trap cleanup EXIT
for _ in $(seq 1 600); do
  [ -f "$work/orphan.pids" ] && [ "$(wc -l <"$work/orphan.pids")" -ge 3 ] && break
  sleep 0.1
done
[ "$(wc -l <"$work/orphan.pids" 2>/dev/null || echo 0)" -ge 3 ] || { cat "$work/orphan.log" >&2; fail "the trial never started its processes"; }
kill -9 "$search_pid"
wait "$search_pid" 2>/dev/null || true
survivors=""
for _ in $(seq 1 300); do  # SIGTERM, 1 s of grace, SIGKILL: well within 30 s
  survivors=""
  while read -r pid; do kill -0 "$pid" 2>/dev/null && survivors="$survivors $pid"; done <"$work/orphan.pids"
  [ -z "$survivors" ] && break
  sleep 0.1
done
[ -z "$survivors" ] || { ps -o pid,ppid,pgid,stat,args -p "${survivors# }" >&2 || true; fail "trial processes outlived kill -9 of the search:$survivors"; }
ps -eo args | grep -F -- "--config $work/orphan.json" | grep -v grep && fail "a supervisor outlived kill -9 of the search"

# The killed trial runs again, as a new trial; nothing else is lost.
sed -i 's#"command": \["./orphan.sh", "{job_dir}/orphan.pids"\]#"command": ["echo", "{x}"]#' "$work/orphan.json"
"$kyper" search --config "$work/orphan.json" --resume >"$work/orphan_resume.log" 2>&1 || { cat "$work/orphan_resume.log" >&2; fail "--resume after kill -9 failed"; }
[ "$(rows "$work/out_orphan/results.csv")" -eq 3 ] || fail "--resume after kill -9 should finish 3 trials"
[ "$(column "$work/out_orphan/results.csv" status | sort -u)" = "done" ] || fail "every resumed trial should succeed"
echo "test_command_cli: OK"
