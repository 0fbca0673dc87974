#!/usr/bin/env bash
# One worker rank of a centralized search dies (SIGKILL, as a lost node or the OOM killer would):
# Open MPI ends the job; it must end promptly (no rank left waiting for the dead one), saying which
# rank died and, from Kyper, that the folder can be resumed; then --resume on the same ranks
# finishes the search with every trial finished before the death kept and none run twice.
#   test_dying_rank.sh DRIVER MPIEXEC WORKDIR
set -euo pipefail
driver="$1" mpiexec="$2" dir="$3"
ranks=3 evaluations=30
rm -rf "$dir" && mkdir -p "$dir"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
fail() { echo "test_dying_rank: FAILED: $*"; echo "--- output of the job:"; cat "$dir/job.log"; exit 1; }
setsid "$mpiexec" -n "$ranks" ${KYPER_MPIEXEC_PREFLAGS:-} "$driver" run "$dir" "$evaluations" 0.2 1 >"$dir/job.log" 2>&1 &
job=$!
for _ in $(seq 1 1200); do
  rows=$( (wc -l <"$dir/results.csv") 2>/dev/null || echo 0)
  [ "$rows" -ge 6 ] && [ -s "$dir/pid.rank1" ] && break
  kill -0 "$job" 2>/dev/null || fail "the job ended before any rank was killed"
  sleep 0.05
done
victim=$(cat "$dir/pid.rank1")
kill -KILL "$victim"
start=$SECONDS
status=0
# The job must end by itself; after 60 s it is stuck (a rank waiting forever for the dead one).
for _ in $(seq 1 600); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$job" 2>/dev/null; then
  pkill -KILL -s "$job" || true
  fail "the job was still running 60 s after rank 1 died"
fi
wait "$job" || status=$?
echo "test_dying_rank: rank 1 (pid $victim) killed; the job ended after $((SECONDS - start)) s with status $status"
[ "$status" -ne 0 ] || fail "the job exited with status 0 although a rank died"
grep -q "rank 1" "$dir/job.log" || fail "the output does not say that rank 1 died"
grep -q "kyper: stopped by SIGTERM.*--resume" "$dir/job.log" || fail "Kyper did not say that the search can be resumed"
# Wait for every process of the job to be gone (rank 0 holds the output folder's lock until then).
for _ in $(seq 1 500); do ps -o stat= -s "$job" 2>/dev/null | grep -qv '^Z' || break; sleep 0.01; done
"$driver" snapshot "$dir" "$dir/before_kill.txt"
echo "test_dying_rank: $(wc -l <"$dir/before_kill.txt") trials finished before rank 1 died"
"$mpiexec" -n "$ranks" ${KYPER_MPIEXEC_PREFLAGS:-} "$driver" run "$dir" "$evaluations" 0.02 2 --resume >>"$dir/job.log" 2>&1 ||
  fail "the resume failed"
"$driver" verify "$dir" "$evaluations" --after-kill "$dir/before_kill.txt"
