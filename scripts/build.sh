#!/usr/bin/env bash
# Sets up dependencies (scripts/setup.sh) and configures + builds Kyper into a build folder.
#   scripts/build.sh [build-dir] [extra cmake args...]     (default build-dir: build)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-$here/build}"
[ $# -gt 0 ] && shift
prefix="$(bash "$here/scripts/setup.sh" | tail -n 1)"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ -f "$build_dir/CMakeCache.txt" ] && ! grep -q "Kokkos_DIR:PATH=$prefix" "$build_dir/CMakeCache.txt"; then
  echo "[build] $build_dir was configured against another Kokkos: reconfiguring from scratch" >&2
  rm -rf "$build_dir"
fi
cmake -S "$here" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DKokkos_ROOT="$prefix" -DKokkosKernels_ROOT="$prefix" -DKyper_ENABLE_TESTS=ON -DKyper_ENABLE_EXAMPLES=ON -DKyper_ENABLE_BENCHMARKS=ON "$@" >&2
cmake --build "$build_dir" -j "${KYPER_BUILD_JOBS:-$(nproc)}" >&2
echo "$build_dir"
