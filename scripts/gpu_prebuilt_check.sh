#!/usr/bin/env bash
# The short GPU check: programs built here, run there. scripts/gpu_check.sh builds Kokkos 4.6 and
# all of Kyper on the lent GPU machine (minutes of device time before the first test); this one
# spends device time on running only:
#
#   scripts/gpu_prebuilt_check.sh bundle [DIR]   here: builds the device tests and bench_training
#       with scripts/cuda_build.sh (Debian's CUDA 11.8, Kokkos 3.4.01, sm_80 code and, through
#       KYPER_CUDA_ALSO_SM (default 90: the H200), sm_90 code too) and packs them, every shared
#       library they load and this glibc's loader into DIR/bundle.tar.xz (DIR defaults to
#       .gpu-prebuilt, ignored; carry it)
#   scripts/gpu_prebuilt_check.sh run [DIR]      there: the GPU; the fused step and M networks
#       trained together on the GPU and finite-difference gradients of every layer and loss; then
#       bench_training on the GPU beside PyTorch on the same GPU (scripts/gpu_torch_reference.py,
#       1 and 8 copies of net A); then the trainer, device models and recurrent kernels. Logs and
#       JSON lines under $OUT (or DIR/out), a table in summary.txt; everything ends within
#       KYPER_GPU_BUDGET_S seconds (default 420), so the logs come back before the device tool's limit.
#
# The programs start through the bundled loader with the bundled libraries, so the other machine's
# glibc and its missing Open MPI do not matter; the driver (libcuda) is that machine's own.
# KYPER_GPU_BUILD_DIR (bundle; default build-cuda-sm90), KYPER_GPU_PYTHON (run; default python3).
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
first_tests=(test_fused_step test_gradients)
later_tests=(test_trainer test_device_model test_recurrent)
tests=("${first_tests[@]}" "${later_tests[@]}")
log() { echo "[gpu_prebuilt] $*" >&2; }

bundle() {
  set -e
  local dir="$1" build="${KYPER_GPU_BUILD_DIR:-$repo/build-cuda-sm90}"
  KYPER_CUDA_ALSO_SM="${KYPER_CUDA_ALSO_SM-90}" KYPER_CUDA_TARGETS="${tests[*]} bench_training" \
    bash "$repo/scripts/cuda_build.sh" "$build" >&2
  local programs=()
  for t in "${tests[@]}"; do programs+=("$(find "$build/tests" -type f -name "$t" -perm -u+x | head -n 1)"); done
  programs+=("$build/benchmarks/training/bench_training")
  local stage
  stage="$(mktemp -d)"
  mkdir -p "$stage/bin" "$stage/lib"
  for p in "${programs[@]}"; do
    [ -x "$p" ] || { log "missing program '$p'"; exit 1; }
    cp "$p" "$stage/bin/"
  done
  # Every shared library they load, glibc and its loader included.
  ldd "${programs[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' | sort -u |
    while read -r lib; do cp -L "$lib" "$stage/lib/"; done
  ls "$stage"/lib/ld-linux-x86-64.so.* >/dev/null
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -C "$stage" -cf - bin lib | xz -T0 -6 >"$dir/bundle.tar.xz"
  rm -rf "$stage"
  if [ "$dir" = "$repo/.gpu-prebuilt" ]; then
    local exclude
    exclude="$(git -C "$repo" rev-parse --git-path info/exclude)"
    case "$exclude" in /*) ;; *) exclude="$repo/$exclude" ;; esac
    grep -qx '/.gpu-prebuilt/' "$exclude" 2>/dev/null || echo '/.gpu-prebuilt/' >>"$exclude"
  fi
  log "bundle in $dir: $(du -sh "$dir" | cut -f1) (carry it: the device tool takes 64 MiB)"
}

run() {
  local dir out loader driver search status=0 deadline=$((SECONDS + ${KYPER_GPU_BUDGET_S:-420}))
  out="${OUT:-$1/out}"
  mkdir -p "$out"
  dir="$(mktemp -d)"
  xz -dc "$1/bundle.tar.xz" | tar -C "$dir" -xf - || { log "cannot unpack $1/bundle.tar.xz"; return 1; }
  loader="$(ls "$dir"/lib/ld-linux-x86-64.so.* | head -n 1)"
  # The driver's folder: ld.so's cache, else the usual places.
  driver="$(ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 /{print $NF; exit}')"
  [ -n "$driver" ] || driver="$(find /usr/local/nvidia /usr/lib64 /usr/lib/x86_64-linux-gnu -name libcuda.so.1 2>/dev/null | head -n 1)"
  search="$dir/lib${driver:+:$(dirname "$driver")}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # Kernels without code for this GPU are compiled from PTX when they first load, and cached.
  export CUDA_MODULE_LOADING=LAZY CUDA_CACHE_PATH="$out/.nv" CUDA_CACHE_MAXSIZE=2147483648
  export OMP_NUM_THREADS=2 OMP_PROC_BIND=false
  {
    echo "driver library: ${driver:-not found}"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    echo "host: $(nproc) cores, $(ldd --version 2>/dev/null | head -n 1)"
  } | tee "$out/summary.txt"

  # limit S: S seconds, or what is left of the budget if less (at least 1).
  limit() { local left=$((deadline - SECONDS)); [ "$left" -lt "$1" ] && echo $((left > 1 ? left : 1)) || echo "$1"; }
  run_tests() {
    for t in "$@"; do
      local start=$SECONDS rc=0
      timeout -k 5 "$(limit "${KYPER_GPU_TEST_TIMEOUT:-120}")" "$loader" --library-path "$search" "$dir/bin/$t" \
        >"$out/$t.log" 2>&1 || rc=$?
      echo "$t: rc $rc in $((SECONDS - start)) s; $(grep -E '^\[  (PASSED|FAILED) |Kokkos::.*(WARNING|ERROR)' "$out/$t.log" | head -n 3 | tr '\n' ' ')" |
        tee -a "$out/summary.txt"
      [ "$rc" = 0 ] || status=1
    done
  }
  run_tests "${first_tests[@]}"

  # Training speed on the GPU: Kyper (the path its rule picks, both paths' rates, 8 copies of net A
  # in one launch per step) and PyTorch's best set-up on the same GPU.
  timeout -k 5 "$(limit 150)" "$loader" --library-path "$search" "$dir/bin/bench_training" --space default --windows 5 \
    --window 0.5 >"$out/kyper.jsonl" 2>"$out/kyper.err" || status=1
  local python="${KYPER_GPU_PYTHON:-python3}"
  PYTHONUNBUFFERED=1 timeout -k 5 "$(limit 120)" "$python" "$repo/scripts/gpu_torch_reference.py" --windows 5 --window-s 0.5 \
    --probe-s 0.2 >"$out/torch.jsonl" 2>"$out/torch.err" || status=1
  PYTHONUNBUFFERED=1 timeout -k 5 "$(limit 60)" "$python" "$repo/scripts/gpu_torch_reference.py" --nets A --copies 8 \
    --windows 5 --window-s 0.5 --probe-s 0.2 >>"$out/torch.jsonl" 2>>"$out/torch.err" || status=1
  cat "$out/kyper.jsonl" "$out/kyper.err" "$out/torch.jsonl" "$out/torch.err"
  "$python" - "$out/kyper.jsonl" "$out/torch.jsonl" <<'EOF' | tee -a "$out/summary.txt"
import json, sys
def rows(p):
    try:
        return [json.loads(l) for l in open(p) if l.startswith("{")]
    except OSError:
        return []
k = {r["net"]: r for r in rows(sys.argv[1]) if "net" in r and "copies" not in r}
k8 = next((r for r in rows(sys.argv[1]) if r.get("copies")), {})
t = {r["net"]: r for r in rows(sys.argv[2]) if r.get("copies", 1) == 1}
t8 = next((r for r in rows(sys.argv[2]) if r.get("copies", 1) > 1), {})
f = lambda v: "-" if not v else f"{v:,.0f}"
print("| net | Kyper samples/s | path | general | fused | PyTorch samples/s | PyTorch setup | Kyper / PyTorch |")
print("|---|---:|---|---:|---:|---:|---|---:|")
for n in "ABCD":
    a, b = k.get(n, {}), t.get(n, {})
    ratio = f"{a['samples_per_s'] / b['samples_per_s']:.2f}" if a.get("samples_per_s") and b.get("samples_per_s") else "-"
    print(f"| {n} | {f(a.get('samples_per_s'))} | {a.get('path', '-')} | {f(a.get('general_samples_per_s'))} | "
          f"{f(a.get('fused_samples_per_s'))} | {f(b.get('samples_per_s'))} | {b.get('setup', '-')} | {ratio} |")
if k8:
    together, alone = k8.get("together_samples_per_s"), k8.get("one_after_other_samples_per_s")
    print(f"| 8 x A | together {f(together)} | one after the other {f(alone)} "
          f"({together / alone:.2f}x) | | | {f(t8.get('samples_per_s'))} | {t8.get('setup', '-')} | "
          f"{together / t8['samples_per_s'] if t8.get('samples_per_s') else float('nan'):.2f} |")
EOF
  run_tests "${later_tests[@]}"
  rm -rf "$dir"
  log "status $status after $SECONDS s"
  return "$status"
}

case "${1:-}" in
bundle) bundle "${2:-$repo/.gpu-prebuilt}" ;;
run) run "${2:-$repo/.gpu-prebuilt}" ;;
*) echo "usage: $0 bundle [DIR] | run [DIR]" >&2; exit 2 ;;
esac
