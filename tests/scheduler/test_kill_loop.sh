#!/usr/bin/env bash
# SIGKILL at random moments, again and again: a short search (the whole job) is killed, then
# resumed, KILLS times; a last resume finishes it. Half the kills come at a random delay after the
# start (MPI start-up, taking the lock, reading the folder back), half a random few milliseconds
# after 1 to 4 more trials are on disk (mid-trial, mid-write), so the search moves on whatever the
# machine's load. Every run that was not killed must succeed, and in the end every trial has run
# exactly once (none lost, none run twice).
#   test_kill_loop.sh DRIVER MPIEXEC RANKS WORKDIR [KILLS [--decentralized]]
#   (RANKS 0: the driver alone, without mpiexec)
set -euo pipefail
driver="$1" mpiexec="$2" ranks="$3" dir="$4" kills="${5:-50}" mode="${6:-}"
evaluations=100 trial_seconds=0.02
rm -rf "$dir" && mkdir -p "$dir"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
command=("$driver" run "$dir" "$evaluations" "$trial_seconds")
[ "$ranks" -gt 0 ] && command=("$mpiexec" -n "$ranks" ${KYPER_MPIEXEC_PREFLAGS:-} "${command[@]}")
rows() { cat "$dir"/results*.csv 2>/dev/null | wc -l || true; }  # decentralized: results.rank<r>.csv
# The loop's own stderr goes to loop.err (bash reports every killed job there); shown on failure.
exec 3>&2
trap 'status=$?; [ $status -eq 0 ] || tail -n 5 "$dir/loop.err" >&3 2>/dev/null' EXIT
fail() { echo "test_kill_loop: FAILED: $*" >&3; tail -n 20 "$dir/stderr.log" >&3; exit 1; }
RANDOM=7  # the same delays every time
killed=0 finished=0 round=0
start=$SECONDS
while [ "$killed" -lt "$kills" ]; do
  round=$((round + 1))
  # A session of its own, so the kill reaches mpiexec and every rank (Open MPI puts ranks in
  # process groups of their own).
  setsid "${command[@]}" "$round" --resume $mode >>"$dir/stdout.log" 2>>"$dir/stderr.log" &
  job=$!
  if [ $((RANDOM % 2)) -eq 0 ]; then
    sleep "0.$(printf '%03d' $((RANDOM % 500)))"  # anywhere in start-up (0.3 s and more)
  else
    # Once 1 to 4 more trials are on disk, 0 to 40 ms later: mid-trial, or mid-write.
    target=$(($(rows) + 1 + RANDOM % 4))
    for _ in $(seq 1 1000); do
      [ "$(rows)" -lt "$target" ] && kill -0 "$job" 2>/dev/null || break
      sleep 0.01
    done
    sleep "0.0$(printf '%02d' $((RANDOM % 40)))"
  fi
  pkill -KILL -s "$job" 2>/dev/null || true
  status=0
  wait "$job" 2>/dev/null || status=$?
  # mpiexec is gone, but a rank may still be dying (a kill waits for a disk sync to end), and a
  # live rank 0 rightly keeps the output folder locked: resume once the whole job is gone.
  for _ in $(seq 1 500); do
    ps -o stat= -s "$job" 2>/dev/null | grep -qv '^Z' || break
    sleep 0.01
  done
  case "$status" in
    137) killed=$((killed + 1)) ;;
    0) finished=$((finished + 1)) ;;  # ended before the kill (the budget was reached)
    *) fail "round $round exited with status $status" ;;
  esac
  [ $((SECONDS - start)) -lt 200 ] || fail "too slow: $killed kills in $((SECONDS - start)) s"
done 2>>"$dir/loop.err"
echo "test_kill_loop: $killed kills, $finished runs ended by themselves;" \
  "$(rows) lines in the results tables before the last resume"
"${command[@]}" $((round + 1)) --resume $mode >>"$dir/stdout.log" 2>>"$dir/stderr.log" || fail "the last resume failed"
! grep -E "terminate called|what\(\)|error:" "$dir/stderr.log" || fail "a run reported an error"
"$driver" verify "$dir" "$evaluations"
echo "test_kill_loop: OK in $((SECONDS - start)) s; warnings seen: $(grep -c warning "$dir/stderr.log" || true)"
