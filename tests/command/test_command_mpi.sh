#!/usr/bin/env bash
# A command objective under mpiexec -n 3 (centralized or decentralized): every rank that runs trials
# runs its own commands, which see KYPER_RANK, KYPER_LOCAL_RANK, KYPER_DEVICE and, with one GPU per
# rank (two GPUs per node here), CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES = the local rank mod 2,
# and none of the launcher's own variables; then --resume under mpiexec.
#   test_command_mpi.sh KYPER MPIEXEC centralized|decentralized WORK_DIR
set -euo pipefail
kyper="$1" mpiexec="$2" mode="$3" work="$4"
rm -rf "$work" && mkdir -p "$work"
fail() { echo "test_command_mpi ($mode): FAILED: $*" >&2; exit 1; }
rows() { echo $(($(wc -l <"$1") - 1)); }
column() { awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == name) c = i; next } { print $c }' "$1"; }

cat >"$work/rank.sh" <<'EOF'
#!/bin/sh
printf '{"y": %s, "rank": "%s", "local": "%s", "device": "%s", "cuda": "%s", "hip": "%s", "launcher": "%s"}\n' \
  "$(awk -v x="$1" 'BEGIN { print -(x - 0.5)^2 }')" "$KYPER_RANK" "$KYPER_LOCAL_RANK" "$KYPER_DEVICE" \
  "${CUDA_VISIBLE_DEVICES-unset}" "${HIP_VISIBLE_DEVICES-unset}" "${OMPI_COMM_WORLD_RANK-}${PMIX_RANK-}${PMI_RANK-}"
EOF
chmod +x "$work/rank.sh"
cat >"$work/job.json" <<EOF
{
  "objective": {"command": ["./rank.sh", "{x}"], "field": "y",
                "metadata": ["rank", "local", "device", "cuda", "hip", "launcher"], "gpu_per_rank": true, "devices": 2},
  "space": {"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}]},
  "search": {"algorithm": "random", "mode": "$mode"},
  "budget": {"evaluations": 12},
  "output": "out"
}
EOF
run() {
  "$mpiexec" -n 3 ${KYPER_MPIEXEC_PREFLAGS:-} "$kyper" search --config "$work/job.json" "$@" >"$work/run.log" 2>&1 \
    || { cat "$work/run.log" >&2; fail "mpiexec -n 3 kyper search $* failed"; }
}
check() {  # check ROWS
  local csv="$work/out/results.csv"
  [ "$(rows "$csv")" -eq "$1" ] || { cat "$csv" >&2; fail "results.csv should have $1 rows"; }
  [ "$(column "$csv" status | sort -u)" = "done" ] || { cat "$csv" >&2; fail "every trial should succeed"; }
  paste -d' ' <(column "$csv" m:rank) <(column "$csv" m:local) <(column "$csv" m:device) <(column "$csv" m:cuda) \
    <(column "$csv" m:hip) <(column "$csv" m:launcher) >"$work/ranks.txt"
  while read -r rank local device cuda hip launcher; do
    [ "$local" = "$rank" ] || fail "KYPER_LOCAL_RANK $local on one node should equal KYPER_RANK $rank"
    [ "$device" = "$((local % 2))" ] || fail "KYPER_DEVICE $device should be the local rank $local mod 2"
    [ "$cuda" = "$device" ] && [ "$hip" = "$device" ] || fail "CUDA/HIP_VISIBLE_DEVICES $cuda/$hip should be device $device"
    [ -z "$launcher" ] || fail "the command saw the launcher's rank variables ($launcher)"
  done <"$work/ranks.txt"
  # Every rank that runs trials ran some: ranks 1 and 2 (centralized: rank 0 hands out work), or all three.
  local expected="1 2"
  [ "$mode" = decentralized ] && expected="0 1 2"
  [ "$(cut -d' ' -f1 "$work/ranks.txt" | sort -u | tr '\n' ' ' | sed 's/ $//')" = "$expected" ] \
    || { cat "$work/ranks.txt" >&2; fail "the trials should have run on ranks $expected"; }
}
run
check 12
sed -i 's/"evaluations": 12/"evaluations": 18/' "$work/job.json"
run --resume
grep -q "12 from a previous run" "$work/run.log" || { cat "$work/run.log" >&2; fail "--resume did not read back 12 trials"; }
check 18
echo "test_command_mpi ($mode): OK"
