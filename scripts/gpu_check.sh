#!/usr/bin/env bash
# GPU check for the lent GPU machine (an H200: nvcc 13, CMake, ninja, Python with CUDA PyTorch;
# no network, Open MPI, Eigen, Cereal, GoogleTest or OpenBLAS). Run scripts/gpu_bundle.sh here
# first, then through the device tool, from the repository root:
#     run(command="bash scripts/gpu_check.sh", carry=[".gpu-bundle"], timeout_s=600)
# Stages, each logged under $OUT (or <work>/logs) and summed up in summary.txt:
#   env      GPU, nvcc, host compiler, CMake, torch
#   deps     unpack Eigen/Cereal/RapidJSON headers, build + install GoogleTest (host compiler)
#   kokkos   Kokkos 4.6.01 with scripts/patches/kokkos-4.6.01-cuda13.patch: CUDA (Kokkos_ARCH_HOPPER90,
#            CUDA lambdas) + Serial (+ OpenMP when the host compiler has it), deprecated code 4 off;
#            Kokkos-Kernels 4.6.02 without TPLs (its own device kernels), ETI off
#   kyper    Kyper with nvcc_wrapper, MPI off, tests + examples + benchmarks on, CUDA checks on
#   ctest    the whole ctest (default execution space: Cuda)
#   bench    bench_training on the GPU (--space default) beside PyTorch on CUDA (scripts/gpu_torch_reference.py)
# Every stage runs under what is left of one time budget, so the script ends, with its logs,
# before the device tool's limit.
#
#   scripts/gpu_check.sh [work-dir]          (default /tmp/kyper-gpu)
# KYPER_GPU_BUNDLE     the bundle folder (default <repository>/.gpu-bundle)
# KYPER_GPU_BUDGET_S   seconds for everything (default 540: 9 minutes)
# KYPER_GPU_ARCH       Kokkos' GPU arch option (default HOPPER90 -> sm_90)
# KYPER_GPU_OPENMP     1 / 0 / auto (default): Kokkos' OpenMP host backend
# KYPER_GPU_BUILD_ONLY 1: stop after building (to check the compile on a machine without a GPU)
# KYPER_GPU_SOURCE_DIR the Kyper source tree to build (default: this repository)
# KYPER_BUILD_JOBS, KYPER_TEST_JOBS  parallelism (default nproc, 8)
# KYPER_GPU_CTEST_EXCLUDE  ctest -E regex (default: the mpiexec tests and consumer_add_subdirectory)
set -uo pipefail
# The whole script is one block, read before it runs: editing this file during a run cannot
# make bash resume at a shifted offset.
{
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export here
export work="${1:-/tmp/kyper-gpu}"
export bundle="${KYPER_GPU_BUNDLE:-$here/.gpu-bundle}"
export kyper_src="${KYPER_GPU_SOURCE_DIR:-$here}"
export logs="${OUT:-$work/logs}"
export jobs="${KYPER_BUILD_JOBS:-$(nproc)}"
export test_jobs="${KYPER_TEST_JOBS:-8}"
export arch="${KYPER_GPU_ARCH:-HOPPER90}"
export patch_file="$here/scripts/patches/kokkos-4.6.01-cuda13.patch"
# Not run: the scheduler tests (they start mpiexec, and Kyper is built with MPI off: there is no
# Open MPI there; with Kyper_ENABLE_MPI=OFF their command lines lack mpiexec), and
# consumer_add_subdirectory (rebuilds all of Kyper with nvcc: minutes, and tests packaging only).
export ctest_exclude="${KYPER_GPU_CTEST_EXCLUDE:-^scheduler_|^consumer_add_subdirectory\$}"
budget="${KYPER_GPU_BUDGET_S:-540}"
build_only="${KYPER_GPU_BUILD_ONLY:-0}"
openmp="${KYPER_GPU_OPENMP:-auto}"
deadline=$((SECONDS + budget))

sm="sm_$(echo "$arch" | sed -n 's/^[A-Z]*\([0-9][0-9]*\)$/\1/p')"
[ "$sm" != "sm_" ] || { echo "gpu_check: cannot derive an sm_ from KYPER_GPU_ARCH=$arch" >&2; exit 2; }
export sm
mkdir -p "$work" "$logs"
summary="$logs/summary.txt"
: >"$summary"
say() { echo "[gpu_check] $*" | tee -a "$summary" >&2; }

# nvcc: on PATH, else CUDA's usual place.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH="/usr/local/cuda/bin:$PATH"; fi
command -v nvcc >/dev/null 2>&1 || { say "no nvcc"; exit 1; }
export PYTHON="${KYPER_GPU_PYTHON:-python3}"

if [ "$openmp" = auto ]; then
  if echo 'int main(){return 0;}' | g++ -fopenmp -x c++ - -o "$work/omp-probe" >/dev/null 2>&1; then openmp=1; else openmp=0; fi
fi
[ "$openmp" = 1 ] && export openmp_flag=ON || export openmp_flag=OFF

# stage NAME LOG FUNCTION [RESERVE_S]: runs FUNCTION (exported) in bash under what is left of the
# budget minus RESERVE_S (time kept for later stages), appending to $logs/LOG.
stage() {
  local name="$1" logf="$logs/$2" fn="$3" reserve="${4:-0}" left t rc
  left=$((deadline - SECONDS - reserve))
  if [ "$left" -lt 15 ]; then say "$name: SKIPPED (budget used up)"; return 1; fi
  t=$SECONDS
  echo "=== $name: $(date -u +%T), $left s left" >>"$logf"
  timeout -k 10 "$left" bash -c "$fn" >>"$logf" 2>&1
  rc=$?
  [ "$rc" -eq 124 ] && say "$name: TIMED OUT after $((SECONDS - t)) s (log $2)" ||
    say "$name: $([ "$rc" -eq 0 ] && echo ok || echo "FAILED rc=$rc") in $((SECONDS - t)) s (log $2)"
  return "$rc"
}

env_info() {
  set -x
  nvidia-smi -L || true
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
  nvcc --version | tail -2
  g++ --version | head -1
  cmake --version | head -1
  ninja --version
  nproc
  "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())' || true
  cat "$bundle/MANIFEST"
}

build_deps() {
  set -ex
  rm -rf "$work/deps" "$work/build/gtest"
  tar -xzf "$bundle/deps.tar.gz" -C "$work"
  cmake -S "$work/deps/src/googletest" -B "$work/build/gtest" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER=g++ -DCMAKE_INSTALL_PREFIX="$work/deps" -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON
  cmake --build "$work/build/gtest" -j "$jobs"
  cmake --install "$work/build/gtest"
}

build_kokkos() {
  set -ex
  local src="$work/src" prefix="$work/kokkos"
  rm -rf "$src" "$prefix" "$work/build/kokkos" "$work/build/kernels"
  mkdir -p "$src"
  tar -xzf "$bundle/kokkos-4.6.01.tar.gz" -C "$src"
  tar -xzf "$bundle/kokkos-kernels-4.6.02.tar.gz" -C "$src"
  (cd "$src/kokkos-4.6.01" && patch -p1 <"$patch_file")
  # -arch for CMake's compiler probe too (the same flag again from Kokkos' arch option is accepted).
  cmake -S "$src/kokkos-4.6.01" -B "$work/build/kokkos" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_CXX_COMPILER="$src/kokkos-4.6.01/bin/nvcc_wrapper" \
    -DCMAKE_CXX_FLAGS="-arch=$sm" -DCMAKE_CXX_STANDARD=17 \
    -DKokkos_ENABLE_CUDA=ON -DKokkos_ENABLE_CUDA_LAMBDA=ON -DKokkos_ARCH_"$arch"=ON \
    -DKokkos_ENABLE_SERIAL=ON -DKokkos_ENABLE_OPENMP="$openmp_flag" \
    -DKokkos_ENABLE_DEPRECATED_CODE_4=OFF -DKokkos_ENABLE_TESTS=OFF -DKokkos_ENABLE_EXAMPLES=OFF
  cmake --build "$work/build/kokkos" -j "$jobs"
  cmake --install "$work/build/kokkos"
  # Kokkos-Kernels: no BLAS/cuBLAS/cuSPARSE TPL (none there), no ETI: header-only use.
  cmake -S "$src/kokkos-kernels-4.6.02" -B "$work/build/kernels" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DKokkos_ROOT="$prefix" -DCMAKE_CXX_COMPILER="$prefix/bin/nvcc_wrapper" \
    -DCMAKE_CXX_FLAGS="-arch=$sm" -DCMAKE_CXX_STANDARD=17 \
    -DKokkosKernels_ENABLE_TPL_BLAS=OFF -DKokkosKernels_ENABLE_TPL_LAPACK=OFF \
    -DKokkosKernels_ENABLE_TPL_CUBLAS=OFF -DKokkosKernels_ENABLE_TPL_CUSPARSE=OFF \
    -DKokkosKernels_ENABLE_TPL_CUSOLVER=OFF -DKokkosKernels_ENABLE_TPL_CUBLASLT=OFF \
    -DKokkosKernels_ENABLE_TESTS=OFF -DKokkosKernels_ENABLE_EXAMPLES=OFF -DKokkosKernels_ENABLE_PERFTESTS=OFF \
    -DKokkosKernels_ADD_DEFAULT_ETI=OFF \
    -DKokkosKernels_INST_DOUBLE=OFF -DKokkosKernels_INST_FLOAT=OFF \
    -DKokkosKernels_INST_HALF=OFF -DKokkosKernels_INST_BHALF=OFF \
    -DKokkosKernels_INST_COMPLEX_DOUBLE=OFF -DKokkosKernels_INST_COMPLEX_FLOAT=OFF \
    -DKokkosKernels_INST_ORDINAL_INT=OFF -DKokkosKernels_INST_ORDINAL_INT64_T=OFF \
    -DKokkosKernels_INST_OFFSET_INT=OFF -DKokkosKernels_INST_OFFSET_SIZE_T=OFF \
    -DKokkosKernels_INST_LAYOUTLEFT=OFF -DKokkosKernels_INST_LAYOUTRIGHT=OFF \
    -DKokkosKernels_INST_EXECSPACE_CUDA=OFF -DKokkosKernels_INST_EXECSPACE_OPENMP=OFF \
    -DKokkosKernels_INST_EXECSPACE_SERIAL=OFF -DKokkosKernels_INST_MEMSPACE_CUDASPACE=OFF \
    -DKokkosKernels_INST_MEMSPACE_CUDAUVMSPACE=OFF -DKokkosKernels_INST_MEMSPACE_HOSTSPACE=OFF
  cmake --build "$work/build/kernels" -j "$jobs"
  cmake --install "$work/build/kernels"
  grep -E '^#define KOKKOS_(ENABLE_(CUDA|CUDA_LAMBDA|OPENMP|SERIAL)|ARCH_[A-Z_]+[0-9]+|COMPILER_CUDA_VERSION)\b' \
    "$prefix/include/KokkosCore_config.h"
}

build_kyper() {
  set -ex
  local prefix="$work/kokkos"
  rm -rf "$work/build/kyper"
  cmake -S "$kyper_src" -B "$work/build/kyper" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER="$prefix/bin/nvcc_wrapper" -DCMAKE_CXX_FLAGS="-arch=$sm" \
    -DKokkos_ROOT="$prefix" -DKokkosKernels_ROOT="$prefix" -DCMAKE_PREFIX_PATH="$work/deps" \
    -DGTest_ROOT="$work/deps" -DKyper_ENABLE_MPI=OFF -DKyper_ENABLE_TESTS=ON \
    -DKyper_ENABLE_EXAMPLES=ON -DKyper_ENABLE_BENCHMARKS=ON -DKyper_ENABLE_CUDA_CHECKS=ON
  # -k 0: one run lists every file that does not compile.
  cmake --build "$work/build/kyper" -j "$jobs" -- -k 0
}

run_ctest() {
  set -x
  local kyper
  kyper="$(find "$work/build/kyper" -name kyper -type f -perm -u+x | head -n 1)"
  [ -n "$kyper" ] && "$kyper" --version
  cd "$work/build/kyper" && ctest --output-on-failure -j "$test_jobs" --timeout 300 -E "$ctest_exclude"
}

run_bench() {
  set -x
  local bench
  bench="$(find "$work/build/kyper" -name bench_training -type f -perm -u+x | head -n 1)"
  [ -n "$bench" ] || { echo "no bench_training in $work/build/kyper"; return 1; }
  "$bench" --space default --windows 5 --window 0.5 >"$work/kyper.jsonl"
  local kyper_rc=$?
  "$PYTHON" "$here/scripts/gpu_torch_reference.py" --windows 5 --window-s 0.5 >"$work/torch.jsonl"
  local torch_rc=$?
  cat "$work/kyper.jsonl" "$work/torch.jsonl"
  "$PYTHON" - "$work/kyper.jsonl" "$work/torch.jsonl" <<'EOF'
import json, sys
def load(p):
    try:
        return {r["net"]: r for r in (json.loads(l) for l in open(p) if l.startswith("{"))}
    except OSError:
        return {}
k, t = load(sys.argv[1]), load(sys.argv[2])
print("| net | Kyper samples/s (Cuda) | Kyper us/step | PyTorch CUDA samples/s | PyTorch setup | Kyper / PyTorch |")
print("|---|---:|---:|---:|---|---:|")
for n in "ABCD":
    ks = k.get(n, {}).get("samples_per_s"); ts = t.get(n, {}).get("samples_per_s")
    f = lambda v: "-" if v is None else f"{v:,.0f}"
    r = f"{ks / ts:.2f}" if ks and ts else "-"
    print(f"| {n} | {f(ks)} | {k.get(n, {}).get('us_per_step', '-')} | {f(ts)} | {t.get(n, {}).get('setup', '-')} | {r} |")
EOF
  [ "$kyper_rc" -eq 0 ] && [ "$torch_rc" -eq 0 ]
}
export -f env_info build_deps build_kokkos build_kyper run_ctest run_bench
export PYTHON

say "start $(date -u +%FT%TZ): $(nproc) cores, budget $budget s, arch $arch ($sm), OpenMP $openmp_flag, source $kyper_src"
[ -f "$bundle/deps.tar.gz" ] || { say "no bundle at $bundle: run scripts/gpu_bundle.sh and carry .gpu-bundle"; exit 1; }
status=0
stage env env.log env_info || true
stage deps deps.log build_deps 400 || status=1
if stage kokkos kokkos.log build_kokkos 300; then
  stage kyper kyper-build.log build_kyper 90 || status=1
else
  status=1
fi
if [ "$build_only" = 1 ]; then
  say "build only: ctest and bench skipped"
elif [ "$status" -eq 0 ] || [ -d "$work/build/kyper" ]; then
  stage ctest ctest.log run_ctest 60 || status=1
  stage bench bench.log run_bench || status=1
  [ -f "$logs/bench.log" ] && sed -n '/^| net/,$p' "$logs/bench.log" | tee -a "$summary"
fi
[ -f "$logs/ctest.log" ] && grep -E 'tests passed|tests failed|\(Failed\)|\(Timeout\)|Not Run' "$logs/ctest.log" | tee -a "$summary" >&2
say "end: status $status after $SECONDS s"
exit "$status"
}
