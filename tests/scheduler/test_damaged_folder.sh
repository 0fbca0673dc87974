#!/usr/bin/env bash
# A damaged output folder still resumes: a missing, empty, garbage, cut-short or other-version
# checkpoint, or a results table whose last row was torn mid-write, gives a warning and a rebuild
# from the results table, and the search ends with every trial run exactly once.
#   test_damaged_folder.sh DRIVER MPIEXEC RANKS WORKDIR [--decentralized]   (RANKS 0: no mpiexec)
set -euo pipefail
driver="$1" mpiexec="$2" ranks="$3" work="$4" mode="${5:-}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
launch() {
  if [ "$ranks" -eq 0 ]; then
    "$driver" "$@" $mode
  else
    "$mpiexec" -n "$ranks" ${KYPER_MPIEXEC_PREFLAGS:-} "$driver" "$@" $mode
  fi
}
fail() { echo "test_damaged_folder: FAILED ($damage): $*" >&2; exit 1; }
# Rank 0's files (each rank has its own in decentralized mode).
suffix=""
[ "$mode" = "--decentralized" ] && suffix=".rank0"
table="results$suffix.csv" state="search_state$suffix.bin"

for damage in missing empty garbage cut_short other_version torn_row; do
  dir="$work/$damage"
  rm -rf "$dir" && mkdir -p "$dir"
  launch run "$dir" 8 0.01 1 >/dev/null
  case "$damage" in
    missing) rm "$dir/$state"; expect="$state unreadable (missing): rebuilding the search from $table" ;;
    empty) : >"$dir/$state"; expect="$state unreadable (empty file): rebuilding the search from $table" ;;
    garbage) printf 'garbage%.0s' $(seq 1 50) >"$dir/$state"; expect="unreadable (not a Kyper search checkpoint)" ;;
    cut_short) head -c 300 "$dir/$state" >"$dir/cut" && mv "$dir/cut" "$dir/$state"; expect="unreadable (cut short" ;;
    other_version)
      perl -pi -e 's/kyper-search-checkpoint-1/kyper-search-checkpoint-7/' "$dir/$state"
      expect="unreadable (format 'kyper-search-checkpoint-7' of another Kyper version" ;;
    torn_row)
      # The last row loses its end (as a crash mid-write would leave it); the checkpoint still
      # records that trial, so it disagrees with the table and the search is rebuilt from it.
      last=$(tail -n 1 "$dir/$table") line=$(wc -l <"$dir/$table")
      head -c -$(( ${#last} / 2 + 1 )) "$dir/$table" >"$dir/cut" && mv "$dir/cut" "$dir/$table"
      expect="$table:$line: " ;;
  esac
  launch run "$dir" 16 0.01 2 --resume >/dev/null 2>"$dir/resume.err" ||
    fail "the resume failed: $(cat "$dir/resume.err")"
  grep -qF "$expect" "$dir/resume.err" || fail "no warning '$expect' in: $(cat "$dir/resume.err")"
  if [ "$damage" = torn_row ]; then
    grep -qF "the last row was cut short mid-write; dropped it" "$dir/resume.err" || fail "$(cat "$dir/resume.err")"
    grep -qF "disagrees with $table" "$dir/resume.err" || fail "$(cat "$dir/resume.err")"
  fi
  "$driver" verify "$dir" 16 >/dev/null || fail "verify"
  echo "$damage: resumed with a warning, 16 trials each run once"
done
echo "test_damaged_folder: OK"
