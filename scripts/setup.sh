#!/usr/bin/env bash
# Installs what Kyper needs on a Debian bookworm machine and is safe to run again:
# Debian packages, then Kokkos 3.4.01 + Kokkos-Kernels from Debian's trilinos source
# package into a cached prefix. Prints the prefix's CMake path on its last line.
#
#   scripts/setup.sh            CPU build deps (OpenMP + Serial Kokkos)
#   scripts/setup.sh --bench    also the reference tools for benchmarks (LibTorch, Optuna, scikit-learn,
#                               R's MASS for the Boston data)
#   scripts/setup.sh --browser  also Debian's chromium, for the report's browser test (report_browser)
#   scripts/setup.sh --cuda     also CUDA 11.8 + g++-11 and a CUDA Kokkos in its own prefix
#   scripts/setup.sh --kokkos4  instead of 3.4.01: Kokkos 4.6.01 + Kokkos-Kernels 4.6.02 (OpenMP +
#                               Serial, Kokkos_ENABLE_DEPRECATED_CODE_4=OFF) from the vendored
#                               release tarballs in its own prefix (scripts/kokkos4_stage.sh)
#
# KYPER_DEPS_DIR: the cache (default ~/.cache/kyper); KYPER_BUILD_JOBS: build parallelism
# (default nproc); KYPER_VENDOR_DIR: where --kokkos4 finds kokkos-4.6.01.tar.gz and
# kokkos-kernels-4.6.02.tar.gz (default <repository>/../shared/vendor). KYPER_CUDA_ALSO_SM=90 (with --cuda):
# sm_90 code too, in a prefix of its own, for running on a Hopper GPU: Kokkos 3.4 refuses to run
# sm_80 code on a GPU of another major version, even where the driver could compile its PTX.
set -euo pipefail

want_bench=0
want_browser=0
want_cuda=0
want_kokkos4=0
for arg in "$@"; do
  case "$arg" in
    --bench) want_bench=1 ;;
    --browser) want_browser=1 ;;
    --cuda) want_cuda=1 ;;
    --kokkos4) want_kokkos4=1 ;;
    *) echo "setup.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done
if [ "$want_cuda" -eq 1 ] && [ "$want_kokkos4" -eq 1 ]; then
  echo "setup.sh: --cuda builds Kokkos 3.4.01 with Debian's CUDA 11.8; --kokkos4 is host-only" \
       "(a CUDA Kokkos 4 for CUDA 13: scripts/gpu_check.sh)" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps_root="${KYPER_DEPS_DIR:-$HOME/.cache/kyper}"
kokkos_version=3.4.01
kernels_version=3.4.01
if [ "$want_kokkos4" -eq 1 ]; then
  kokkos_version=4.6.01
  kernels_version=4.6.02
fi
vendor_dir="${KYPER_VENDOR_DIR:-$here/../shared/vendor}"
jobs="${KYPER_BUILD_JOBS:-$(nproc)}"
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

log() { echo "[setup] $*" >&2; }

# One setup at a time per cache: concurrent runs would delete each other's build folders.
mkdir -p "$deps_root"
exec 9>"$deps_root/.setup.lock"
flock 9

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$apt_updated" -eq 0 ]; then
    $sudo_cmd apt-get update -qq
    apt_updated=1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# A sources entry of our own, so the machine's own entries stay untouched.
add_sources_entry() {
  local file="/etc/apt/sources.list.d/kyper-$1.sources" types="$2" components="$3"
  [ -f "$file" ] && return 0
  log "adding apt sources entry $file"
  $sudo_cmd tee "$file" >/dev/null <<SRC
Types: $types
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: $components
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_updated=0
}

# python3-sklearn: the command-objective example tunes a scikit-learn script (example_command_sklearn).
apt_install build-essential cmake ninja-build pkg-config dpkg-dev ca-certificates \
  libopenmpi-dev openmpi-bin libeigen3-dev libcereal-dev \
  libgtest-dev libgmock-dev libbenchmark-dev libopenblas-dev libopenblas-openmp-dev python3 python3-sklearn

# r-cran-mass: the Boston housing data of the AutoDEUQ benchmark (benchmarks/uq/run.sh).
if [ "$want_bench" -eq 1 ]; then
  apt_install python3 python3-torch libtorch-dev python3-optuna python3-sklearn r-cran-mass
fi
# ~45 s, ~300 MB: only for the test that renders `kyper report`'s page headless.
if [ "$want_browser" -eq 1 ]; then
  apt_install chromium
fi

# --- Kokkos + Kokkos-Kernels sources from Debian's trilinos source package ---
src_dir="$deps_root/src/kokkos-$kokkos_version"
fetch_kokkos_sources() {
  [ -f "$src_dir/.extracted" ] && return 0
  add_sources_entry deb-src deb-src main
  if [ "$apt_updated" -eq 0 ]; then $sudo_cmd apt-get update -qq; apt_updated=1; fi
  local dl="$deps_root/download"
  mkdir -p "$dl" "$src_dir"
  if ! ls "$dl"/trilinos_*.orig.tar.* >/dev/null 2>&1; then
    log "downloading trilinos source package"
    (cd "$dl" && apt-get source --download-only trilinos >&2)
  fi
  local tarball
  tarball=$(ls "$dl"/trilinos_*.orig.tar.* | head -n 1)
  log "extracting packages/kokkos and packages/kokkos-kernels from $(basename "$tarball")"
  tar -xf "$tarball" -C "$src_dir" --strip-components=1 --wildcards '*/packages/kokkos/*' '*/packages/kokkos-kernels/*'
  touch "$src_dir/.extracted"
}

# --- Kokkos 4.6.01 + Kokkos-Kernels 4.6.02 from the vendored release tarballs (--kokkos4) ---
# The checksums are upstream's (../shared/vendor/README.md); a tarball that differs is refused.
declare -A vendor_sha256=(
  [kokkos-4.6.01.tar.gz]=b9d70e4653b87a06dbb48d63291bf248058c7c7db4bd91979676ad5609bb1a3a
  [kokkos-kernels-4.6.02.tar.gz]=a953f445660ed5aaab10e18fc4a90c4c178291e9d9d97d20abd4e6027f1193ec
)
src4_dir="$deps_root/src/kokkos-$kokkos_version-kk-$kernels_version"
fetch_kokkos4_sources() {
  [ -f "$src4_dir/.extracted" ] && return 0
  rm -rf "$src4_dir"
  mkdir -p "$src4_dir"
  local name tarball sum
  for name in "kokkos-$kokkos_version.tar.gz" "kokkos-kernels-$kernels_version.tar.gz"; do
    tarball="$vendor_dir/$name"
    [ -f "$tarball" ] || { echo "setup.sh: $tarball not found (set KYPER_VENDOR_DIR to the folder holding $name)" >&2; exit 1; }
    sum="$(sha256sum "$tarball" | cut -d' ' -f1)"
    [ "$sum" = "${vendor_sha256[$name]}" ] || { echo "setup.sh: $tarball has sha256 $sum, expected ${vendor_sha256[$name]}" >&2; exit 1; }
    log "extracting $name"
    tar -xzf "$tarball" -C "$src4_dir"
  done
  touch "$src4_dir/.extracted"
}

if [ "$want_kokkos4" -eq 1 ]; then
  fetch_sources=fetch_kokkos4_sources
  kokkos_src="$src4_dir/kokkos-$kokkos_version"
  kernels_src="$src4_dir/kokkos-kernels-$kernels_version"
  # Deprecated code off: what Kokkos 5 removes must not be used.
  kokkos_version_args=(-DKokkos_ENABLE_DEPRECATED_CODE_4=OFF -DKokkos_ENABLE_TESTS=OFF -DKokkos_ENABLE_EXAMPLES=OFF)
  # Kokkos-Kernels 4.x: no default ETI either (header-only), no perf tests.
  kernels_version_args=(-DKokkosKernels_ADD_DEFAULT_ETI=OFF -DKokkosKernels_INST_HALF=OFF
                        -DKokkosKernels_INST_BHALF=OFF -DKokkosKernels_ENABLE_PERFTESTS=OFF)
else
  fetch_sources=fetch_kokkos_sources
  kokkos_src="$src_dir/packages/kokkos"
  kernels_src="$src_dir/packages/kokkos-kernels"
  kokkos_version_args=()
  kernels_version_args=()
fi

# build_kokkos PREFIX BUILD_DIR [extra cmake args...]
build_kokkos() {
  local prefix="$1" build="$2"; shift 2
  # A prefix is reused only if it was built with the same options.
  local stamp="kokkos=$kokkos_version $*"
  [ "$want_kokkos4" -eq 1 ] &&
    stamp="kokkos=$kokkos_version kokkos-kernels=$kernels_version ${kokkos_version_args[*]} ${kernels_version_args[*]} $*"
  if [ -f "$prefix/.kyper-complete" ] && [ "$(cat "$prefix/.kyper-options" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  "$fetch_sources"
  rm -rf "$build" "$prefix"
  log "building Kokkos $kokkos_version into $prefix"
  cmake -S "$kokkos_src" -B "$build/kokkos" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_CXX_STANDARD=17 -DKokkos_ENABLE_SERIAL=ON "${kokkos_version_args[@]}" "$@" >&2
  cmake --build "$build/kokkos" -j "$jobs" >&2
  cmake --install "$build/kokkos" >&2
  log "building Kokkos-Kernels $kernels_version (ETI off: header-only instantiation)"
  cmake -S "$kernels_src" -B "$build/kernels" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DKokkos_ROOT="$prefix" -DCMAKE_CXX_STANDARD=17 \
    -DKokkosKernels_INST_FLOAT=OFF -DKokkosKernels_INST_DOUBLE=OFF \
    -DKokkosKernels_INST_COMPLEX_FLOAT=OFF -DKokkosKernels_INST_COMPLEX_DOUBLE=OFF \
    -DKokkosKernels_INST_LAYOUTLEFT=OFF -DKokkosKernels_INST_LAYOUTRIGHT=OFF \
    -DKokkosKernels_INST_EXECSPACE_OPENMP=OFF -DKokkosKernels_INST_EXECSPACE_SERIAL=OFF \
    -DKokkosKernels_INST_EXECSPACE_CUDA=OFF \
    -DKokkosKernels_INST_MEMSPACE_HOSTSPACE=OFF -DKokkosKernels_INST_MEMSPACE_CUDASPACE=OFF \
    -DKokkosKernels_INST_MEMSPACE_CUDAUVMSPACE=OFF \
    -DKokkosKernels_INST_OFFSET_INT=OFF -DKokkosKernels_INST_OFFSET_SIZE_T=OFF \
    -DKokkosKernels_INST_ORDINAL_INT=OFF -DKokkosKernels_INST_ORDINAL_INT64_T=OFF \
    -DKokkosKernels_ENABLE_TESTS=OFF -DKokkosKernels_ENABLE_EXAMPLES=OFF \
    "${kernels_version_args[@]}" "$@" >&2
  cmake --build "$build/kernels" -j "$jobs" >&2
  cmake --install "$build/kernels" >&2
  echo "$stamp" >"$prefix/.kyper-options"
  touch "$prefix/.kyper-complete"
  rm -rf "$build"
}

# Host SIMD level for Kokkos' arch option (Kokkos 3.4 has no "native"): the tiled kernels need
# AVX2/AVX-512 to be competitive. The prefix is named after it, so a machine with another CPU
# builds its own instead of reusing one that would fault.
host_arch=""
if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
  host_arch=SKX
elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  host_arch=HSW
fi
host_arch_args=()
[ -n "$host_arch" ] && host_arch_args=("-DKokkos_ARCH_$host_arch=ON")
cpu_prefix="$deps_root/kokkos-$kokkos_version-openmp${host_arch:+-${host_arch,,}}"
# Kokkos 4.6.01 (same host arch option: Kokkos 4 has SKX and HSW too) gets its own prefix.
[ "$want_kokkos4" -eq 1 ] && cpu_prefix="$deps_root/kokkos-$kokkos_version-kk-$kernels_version-openmp${host_arch:+-${host_arch,,}}"
# Host gemm goes to OpenBLAS through Kokkos-Kernels' BLAS TPL (large dense layers).
# Large dense layers go to OpenBLAS through Kokkos-Kernels' BLAS TPL. Its OpenMP build shares the
# OpenMP thread pool with Kokkos; the pthread build's spinning workers would fight Kokkos' threads.
openblas_dir=/usr/lib/x86_64-linux-gnu/openblas-openmp
build_kokkos "$cpu_prefix" "$deps_root/build/openmp" -DKokkos_ENABLE_OPENMP=ON "${host_arch_args[@]}" \
  -DKokkosKernels_ENABLE_TPL_BLAS=ON -DBLAS_LIBRARY_DIRS="$openblas_dir" -DBLAS_LIBRARIES=openblas \
  -DKokkosKernels_ENABLE_TPL_LAPACK=ON -DLAPACK_LIBRARY_DIRS="$openblas_dir" -DLAPACK_LIBRARIES=openblas

if [ "$want_cuda" -eq 1 ]; then
  # non-free (+ contrib) only: main is already served by the machine's own entry, and a
  # second main would make apt warn about targets configured twice.
  add_sources_entry non-free deb "contrib non-free"
  apt_install nvidia-cuda-toolkit nvidia-cuda-dev g++-11 ccache
  cuda_prefix="$deps_root/kokkos-$kokkos_version-cuda"
  cuda_arch=AMPERE80 cuda_sm=sm_80
  # Kokkos' arch option sets one -arch and nvcc_wrapper refuses a second: the other GPU's code
  # goes to nvcc itself (it reads NVCC_APPEND_FLAGS since CUDA 11.5).
  nvcc_append=""
  if [ -n "${KYPER_CUDA_ALSO_SM:-}" ]; then
    case "$KYPER_CUDA_ALSO_SM" in [0-9][0-9]) ;; *) echo "setup.sh: KYPER_CUDA_ALSO_SM=$KYPER_CUDA_ALSO_SM is not an sm number like 90" >&2; exit 2 ;; esac
    nvcc_append="-gencode arch=compute_$KYPER_CUDA_ALSO_SM,code=sm_$KYPER_CUDA_ALSO_SM"
    cuda_prefix="$cuda_prefix-sm$KYPER_CUDA_ALSO_SM"
  fi
  cuda_args=(
    -DCMAKE_CXX_COMPILER="$src_dir/packages/kokkos/bin/nvcc_wrapper"
    # nvcc_wrapper compiles for sm_35 unless told otherwise, CMake's compiler probe included;
    # the same flag again from Kokkos' arch option is accepted (only differing ones are not).
    -DCMAKE_CXX_FLAGS="-arch=$cuda_sm"
    -DKokkos_ENABLE_OPENMP=ON -DKokkos_ENABLE_CUDA=ON -DKokkos_ENABLE_CUDA_LAMBDA=ON
    -DKokkos_ARCH_$cuda_arch=ON
    # No vendor libraries: Kokkos-Kernels' own gemm/spmv kernels get compiled for the
    # device (what a compile check wants, and spack's kokkos-kernels+cuda default).
    -DKokkosKernels_ENABLE_TPL_BLAS=OFF -DKokkosKernels_ENABLE_TPL_CUBLAS=OFF
    -DKokkosKernels_ENABLE_TPL_CUSPARSE=OFF
  )
  # Debian's nvcc (CUDA 11.8, /usr/bin) and nothing else: a preinstalled CUDA 13 in
  # /usr/local/cuda/bin or /usr/local/bin is too new for Kokkos 3.4, and CUDA_HOME /
  # LIBRARY_PATH pointing at it would pull its headers or libcuda stub into the link.
  (
    export PATH=/usr/bin:/bin:/usr/sbin:/sbin
    unset CUDA_HOME CUDA_PATH CUDA_ROOT CUDAToolkit_ROOT CUDACXX LIBRARY_PATH CPATH
    export NVCC_WRAPPER_DEFAULT_COMPILER=g++-11
    if [ -n "$nvcc_append" ]; then export NVCC_APPEND_FLAGS="$nvcc_append"; else unset NVCC_APPEND_FLAGS; fi
    nvcc_version=$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
    [ "$nvcc_version" = "11.8" ] || { echo "setup.sh: expected Debian's nvcc 11.8 at /usr/bin/nvcc, got '$nvcc_version'" >&2; exit 1; }
    build_kokkos "$cuda_prefix" "$deps_root/build/cuda" "${cuda_args[@]}"
  )
  echo "$cuda_prefix"
else
  echo "$cpu_prefix"
fi
