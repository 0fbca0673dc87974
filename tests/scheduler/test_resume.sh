#!/usr/bin/env bash
# kill -9 of the whole job mid-search, then --resume: nothing finished is lost or redone.
#   test_resume.sh DRIVER MPIEXEC RANKS WORKDIR [--decentralized] [--stopper KIND]
set -euo pipefail
driver="$1" mpiexec="$2" ranks="$3" dir="$4"
shift 4
run_flags=("$@") verify_flags=()
for ((i = 0; i < $#; ++i)); do [ "${run_flags[i]}" = --stopper ] && verify_flags=(--stopper "${run_flags[i + 1]}"); done
evaluations=24
rm -rf "$dir" && mkdir -p "$dir"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
setsid "$mpiexec" -n "$ranks" ${KYPER_MPIEXEC_PREFLAGS:-} "$driver" run "$dir" "$evaluations" 0.25 1 "${run_flags[@]}" &
job=$!
# Wait until a few trials are on disk, then SIGKILL every process of the job's session (mpiexec
# and all ranks: Open MPI puts ranks in process groups of their own, so a group kill misses them).
for _ in $(seq 1 600); do
  rows=$( (cat "$dir"/results*.csv | wc -l) 2>/dev/null || echo 0)  # decentralized: results.rank<r>.csv
  [ "$rows" -ge 7 ] && break
  sleep 0.05
done
pkill -KILL -s "$job" 2>/dev/null || true
wait "$job" 2>/dev/null || true
"$driver" snapshot "$dir" "$dir/before_kill.txt"
echo "killed with $(wc -l <"$dir/before_kill.txt") finished trials"
"$mpiexec" -n "$ranks" ${KYPER_MPIEXEC_PREFLAGS:-} "$driver" run "$dir" "$evaluations" 0.02 2 --resume "${run_flags[@]}"
"$driver" verify "$dir" "$evaluations" --after-kill "$dir/before_kill.txt" "${verify_flags[@]}"
