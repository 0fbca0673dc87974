#!/usr/bin/env bash
# One search per output folder, across processes: while a search runs, a second one (--resume) on
# its folder is refused naming the holder (host, pid) and changes nothing; a lock left by a search
# that is gone (a dead pid) is taken over with a warning.
#   test_output_lock.sh DRIVER MPIEXEC RANKS WORKDIR     (RANKS 0: the driver alone, no mpiexec)
set -euo pipefail
driver="$1" mpiexec="$2" ranks="$3" dir="$4"
rm -rf "$dir" && mkdir -p "$dir"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
launch() {
  if [ "$ranks" -eq 0 ]; then
    "$driver" "$@"
  else
    "$mpiexec" -n "$ranks" ${KYPER_MPIEXEC_PREFLAGS:-} "$driver" "$@"
  fi
}
fail() { echo "test_output_lock: FAILED: $*" >&2; exit 1; }

# 1. A search that runs a while (24 trials of 0.3 s: long enough for the second one to start under
#    AddressSanitizer on 2 busy cores) and a second one started meanwhile.
launch run "$dir" 24 0.3 1 &
first=$!
for _ in $(seq 1 400); do
  [ -s "$dir/.kyper.lock" ] && [ -s "$dir/results.csv" ] && break
  sleep 0.025
done
[ -s "$dir/.kyper.lock" ] || fail "the running search holds no lock"
holder="host $(sed -n 's/^host=//p' "$dir/.kyper.lock"), pid $(sed -n 's/^pid=//p' "$dir/.kyper.lock")"
[ "$(sed -n 's/^host=//p' "$dir/.kyper.lock")" = "$(uname -n)" ] || fail "the lock names another host"
if launch run "$dir" 24 0.01 2 --resume >"$dir/second.out" 2>"$dir/second.err"; then
  fail "a second search on a held folder ran"
fi
grep -qF "is in use by another search ($holder)" "$dir/second.err" ||
  fail "the refusal does not name the holder ($holder): $(cat "$dir/second.err")"
wait "$first" || fail "the first search failed"
[ ! -e "$dir/.kyper.lock" ] || fail "the lock is still there after the search ended"
"$driver" verify "$dir" 24  # the refused search ran nothing

# 2. A stale lock (its pid is gone) is taken over with a warning, and the search resumes.
dead=$(bash -c 'echo $$')
printf 'host=%s\npid=%s\n' "$(uname -n)" "$dead" >"$dir/.kyper.lock"
launch run "$dir" 28 0.01 3 --resume 2>"$dir/stale.err" ||
  fail "the search did not take the stale lock over: $(cat "$dir/stale.err")"
grep -qF "was locked by a search that is gone (host $(uname -n), pid $dead" "$dir/stale.err" ||
  fail "no warning about the stale lock: $(cat "$dir/stale.err")"
[ ! -e "$dir/.kyper.lock" ] || fail "the lock is still there after the search ended"
"$driver" verify "$dir" 28
echo "test_output_lock: OK ($holder refused a second search; a stale lock was taken over)"
