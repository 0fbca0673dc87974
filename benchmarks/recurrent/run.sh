#!/bin/sh
# Recurrent training benchmark (issue 16): Kyper's LSTM against LibTorch C++'s torch::nn::LSTM,
# 2 layers, input 5, hidden 32 and 128, sequence 8, batch 64, Adam, MSE, at 1 and 2 threads, in the
# same run. Both sides run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (in this command
# only: toolchain.md), one after the other, each probing its thread set-ups; medians of 5 windows.
#   benchmarks/recurrent/run.sh [build-dir] [cells]      cells: lstm (default), lstm,gru
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
cells=${2:-lstm}
kyper="$build/benchmarks/recurrent/bench_recurrent"
[ -x "$kyper" ] || { echo "missing $kyper: configure with -DKyper_ENABLE_BENCHMARKS=ON and build" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS GOTO_NUM_THREADS

torch_bin="$build/benchmarks/recurrent/torch_recurrent"
if [ ! -x "$torch_bin" ] || [ "$here/torch_recurrent.cpp" -nt "$torch_bin" ]; then
  echo "run.sh: compiling $torch_bin (needs libtorch-dev: scripts/setup.sh --bench)" >&2
  g++ -O2 -std=c++17 -I/usr/include/torch/csrc/api/include "$here/torch_recurrent.cpp" \
    -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -lopenblas -o "$torch_bin.tmp" && mv "$torch_bin.tmp" "$torch_bin"
fi
printf '#include <stdio.h>\nchar* openblas_get_config(void);\nint main(void){puts(openblas_get_config());return 0;}\n' > "$work/core.c"
core="unknown"
if cc "$work/core.c" -lopenblas -o "$work/core" 2>/dev/null; then core=$("$work/core"); fi

# Raised autogroup priority (toolchain.md, "Timing on these machines"); silently default without root.
prio() { setsid sh -c 'echo -20 > /proc/self/autogroup 2>/dev/null; exec "$@"' prio "$@"; }

for t in 1 2; do
  echo "run.sh: Kyper, $t thread(s)" >&2
  prio env OMP_NUM_THREADS=$t OMP_PROC_BIND=false "$kyper" --cells "$cells" > "$work/kyper_$t.jsonl"
  echo "run.sh: LibTorch, $t thread(s)" >&2
  prio env OMP_NUM_THREADS=$t "$torch_bin" --threads $t --cells "$cells" > "$work/torch_$t.jsonl"
done

python3 - "$work" "$core" <<'PY'
import json, os, sys
work, core = sys.argv[1], sys.argv[2]
def load(name):
    with open(os.path.join(work, name)) as f:
        return {(r["cell"], r["hidden"]): r for r in map(json.loads, filter(str.strip, f))}
target = {32: 2.0, 128: 1.0}
print(f"\nOpenBLAS (both sides, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset): {core}\n")
print("| cell | hidden | threads | Kyper samples/s (min-max) | set-up | LibTorch samples/s (min-max) | set-up | ratio | target | met? |")
print("|---|---:|---:|---:|---|---:|---|---:|---:|---|")
for t in (1, 2):
    k, l = load(f"kyper_{t}.jsonl"), load(f"torch_{t}.jsonl")
    for key in sorted(k):
        a, b = k[key], l.get(key)
        ratio = a["samples_per_s"] / b["samples_per_s"] if b else None
        goal = target.get(key[1]) if key[0] == "lstm" else None
        met = "—" if goal is None or ratio is None else ("yes" if ratio >= goal else "no")
        fmt = lambda r: f"{r['samples_per_s']:,.0f} ({r['min']:,.0f}-{r['max']:,.0f})"
        print(f"| {key[0]} | {key[1]} | {t} | {fmt(a)} | {a['setup']} | {fmt(b) if b else '—'} | {b['setup'] if b else '—'} "
              f"| {ratio:.2f}× | {('≥ %.0f×' % goal) if goal else '—'} | {met} |" if ratio else
              f"| {key[0]} | {key[1]} | {t} | {fmt(a)} | {a['setup']} | — | — | — | — | — |")
PY
