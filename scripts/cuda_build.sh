#!/usr/bin/env bash
# Proves every kernel compiles and links for the GPU (issue 10): builds the library, the command and
# every test, example and benchmark with Kokkos code against a CUDA Kokkos (Debian's CUDA 11.8,
# g++-11, sm_80; KYPER_CUDA_ALL=1 for every target). Nothing runs; no GPU needed. A compile error, or a host-only function called from device code, fails.
#
#   scripts/cuda_build.sh [build-dir [extra cmake args...]]     build-dir defaults to build-cuda
#
# KYPER_BUILD_JOBS (default 2) sets the parallelism; KYPER_CUDA_TARGETS="t1 t2" builds only those; KYPER_CUDA_SOURCE_DIR builds another
# source tree (used to test this script on a scratch project).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${KYPER_CUDA_SOURCE_DIR:-$repo}"
build="${1:-build-cuda}"
[ "$#" -gt 0 ] && shift
jobs="${KYPER_BUILD_JOBS:-2}"
deps_root="${KYPER_DEPS_DIR:-$HOME/.cache/kyper}"
log() { echo "[cuda_build] $*" >&2; }

t0=$SECONDS
prefix="$("$repo/scripts/setup.sh" --cuda | tail -n 1)"
log "CUDA Kokkos prefix: $prefix ($((SECONDS - t0)) s for setup)"

# Debian's CUDA 11.8 only. Some machines have CUDA 13 first on PATH (/usr/local/cuda/bin,
# /usr/local/bin) and CUDA_HOME / LIBRARY_PATH pointing at it; Kokkos 3.4 does not compile with
# it. nvcc_wrapper runs "$CUDA_ROOT/bin/nvcc" when CUDA_ROOT is set, else the first nvcc on PATH.
clean_env=(PATH=/usr/bin:/bin:/usr/sbin:/sbin CUDA_ROOT=/usr NVCC_WRAPPER_DEFAULT_COMPILER=/usr/bin/g++-11)
# KYPER_CUDA_ALSO_SM=90: sm_90 code too, against the Kokkos setup.sh builds likewise (see there).
nvcc_append=""
[ -n "${KYPER_CUDA_ALSO_SM:-}" ] && nvcc_append="-gencode arch=compute_$KYPER_CUDA_ALSO_SM,code=sm_$KYPER_CUDA_ALSO_SM"
clean_env+=("NVCC_APPEND_FLAGS=$nvcc_append")
export "${clean_env[@]}"
unset CUDA_HOME CUDA_PATH CUDAToolkit_ROOT CUDACXX LIBRARY_PATH CPATH
nvcc_version="$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
[ "$nvcc_version" = "11.8" ] || { log "expected Debian's nvcc 11.8 at /usr/bin/nvcc, got '$nvcc_version'"; exit 1; }

# The GPU arch Kokkos was built for (AMPERE80 -> sm_80): nvcc_wrapper defaults to sm_35 when no
# arch is given (CMake's compiler probe), and refuses two different -arch flags.
kokkos_config="$prefix/lib/cmake/Kokkos/KokkosConfigCommon.cmake"
kokkos_arch="$(sed -n 's/^SET(Kokkos_ARCH \(.*\))$/\1/p' "$kokkos_config")"
sm="$(echo "$kokkos_arch" | tr ';' '\n' | sed -n 's/^\(KEPLER\|MAXWELL\|PASCAL\|VOLTA\|TURING\|AMPERE\|HOPPER\)\([0-9][0-9]\)$/sm_\2/p' | head -n 1)"
[ -n "$sm" ] || { log "no NVIDIA arch in $kokkos_config (Kokkos_ARCH='$kokkos_arch')"; exit 1; }

# Every compile and link step gets the same environment, so a later plain
# "cmake --build $build" from any shell still uses CUDA 11.8 and the same ccache.
launch_env=(/usr/bin/env -u CUDA_HOME -u CUDA_PATH -u LIBRARY_PATH -u CPATH "${clean_env[@]}")
compile_launcher=("${launch_env[@]}")
ccache_args=()
if command -v ccache >/dev/null 2>&1; then
  ccache_env=(CCACHE_DIR="$deps_root/ccache" CCACHE_MAXSIZE=5G CCACHE_BASEDIR="$src"
              "CCACHE_COMPILERCHECK=string:nvcc-$nvcc_version-$(g++-11 -dumpfullversion)$nvcc_append")
  export "${ccache_env[@]}"
  compile_launcher+=("${ccache_env[@]}" /usr/bin/ccache)
  ccache --zero-stats >/dev/null
else
  log "ccache not found: building without it"
fi
join() { local IFS=';'; echo "$*"; }

t1=$SECONDS
# CMAKE_CXX_FLAGS: the arch and host compiler for CMake's probes too (identical flags that
# Kokkos' target adds again are accepted). The check for host calls in device code comes from
# cmake/KyperCudaChecks.cmake (Kyper_ENABLE_CUDA_CHECKS), verified below.
cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$prefix/bin/nvcc_wrapper" \
  -DCMAKE_CXX_FLAGS="-arch=$sm -ccbin /usr/bin/g++-11" \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$(join "${compile_launcher[@]}")" \
  -DCMAKE_CXX_LINKER_LAUNCHER="$(join "${launch_env[@]}")" \
  -DKokkos_ROOT="$prefix" -DKokkosKernels_ROOT="$prefix" \
  -DKyper_ENABLE_TESTS=ON -DKyper_ENABLE_EXAMPLES=ON -DKyper_ENABLE_BENCHMARKS=ON \
  -DKyper_ENABLE_CUDA_CHECKS=ON \
  "$@"
log "configured in $((SECONDS - t1)) s"

# Say what was found: the Kokkos in use must be the CUDA one.
cache="$build/CMakeCache.txt"
log "Kokkos_DIR: $(sed -n 's/^Kokkos_DIR:[A-Z]*=//p' "$cache")"
log "KokkosConfigCommon: $(grep -E '^SET\(Kokkos_(DEVICES|ARCH|CXX_COMPILER) ' "$kokkos_config" | tr '\n' ' ')"
log "KokkosCore_config.h: $(grep -E '^#define KOKKOS_(ENABLE_(CUDA|CUDA_LAMBDA|OPENMP|SERIAL)|ARCH_[A-Z]+[0-9]+|COMPILER_CUDA_VERSION)\b' \
  "$prefix/include/KokkosCore_config.h" | tr '\n' ' ')"
grep -q '^#define KOKKOS_ENABLE_CUDA$' "$prefix/include/KokkosCore_config.h" ||
  { log "Kokkos in $prefix has no CUDA backend"; exit 1; }
case "$(sed -n 's/^Kokkos_DIR:[A-Z]*=//p' "$cache")" in
  "$prefix"/*) ;;
  *) log "configured against another Kokkos; expected one under $prefix"; exit 1 ;;
esac
# The host-call check must reach the compile lines; without include(KyperCudaChecks) in the
# top CMakeLists.txt (after the dependencies are found) it silently would not.
if ! grep -q 'diag_error=h_hd_illegal_call' "$build/build.ninja"; then
  log "the compile lines lack '-Xcudafe --diag_error=h_hd_illegal_call': include(KyperCudaChecks)" \
      "after find_package(Kokkos) in the top CMakeLists.txt"
  exit 1
fi

# What to build: the libraries, the command, and every test, example and benchmark with Kokkos code
# of its own: tests/kernels and tests/core (they instantiate the kernels through Kyper's headers)
# and any other program whose source names Kokkos:: or KOKKOS_. The rest only call the library,
# which is compiled here anyway; nvcc takes ~10 s per file on 2 cores, and CI time is counted.
# KYPER_CUDA_ALL=1 builds every target.
kokkos_programs="$(grep -rlE 'Kokkos::|KOKKOS_' "$src/tests" "$src/benchmarks" "$src/examples" --include='*.cpp' |
  xargs -r -n 1 basename | sed 's/\.cpp$//' | sort -u | tr '\n' ' ')"
mapfile -t targets < <(ninja -C "$build" -t targets all |
  sed -n 's/^\([^:]*\): CXX_\(EXECUTABLE\|STATIC_LIBRARY\|SHARED_LIBRARY\)_LINKER_.*/\1/p' |
  while read -r target; do
    name="$(basename "$target")"
    if [ "${KYPER_CUDA_ALL:-0}" = 1 ] || [[ "$target" =~ ^(base|search|uq|src)/ ]] ||
       [[ "$target" =~ ^tests/(kernels|core)/ ]] || [ "$target" = tests/libkyper_test_main.a ] ||
       [[ " $kokkos_programs " == *" $name "* ]]; then
      echo "$target"
    fi
  done)
[ "${#targets[@]}" -gt 10 ] || { log "found only ${#targets[@]} targets in $build/build.ninja"; exit 1; }
# KYPER_CUDA_TARGETS="a b": only these (a quick check of the files one is changing).
[ -n "${KYPER_CUDA_TARGETS:-}" ] && read -r -a targets <<<"$KYPER_CUDA_TARGETS"
log "building ${#targets[@]} libraries and programs"

t2=$SECONDS
status=0
# -k 0: go on past failures, so one run lists every file that does not compile.
cmake --build "$build" -j "$jobs" --target "${targets[@]}" -- -k 0 || status=$?
log "build finished in $((SECONDS - t2)) s with status $status (total $((SECONDS - t0)) s)"
if command -v ccache >/dev/null 2>&1; then ccache --show-stats >&2 || true; fi
exit "$status"
