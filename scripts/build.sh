#!/usr/bin/env bash
# Sets up dependencies (scripts/setup.sh) and configures + builds Kyper into a build folder.
#   scripts/build.sh [build-dir] [extra cmake args...]     (default build-dir: build)
# KYPER_KOKKOS_PREFIX=<prefix>: build against that Kokkos + Kokkos-Kernels prefix instead of the
# one scripts/setup.sh builds (e.g. the path `scripts/setup.sh --kokkos4` prints); setup.sh is
# then not run, so the Debian packages must already be there.
# KYPER_BUILD_SKIP=<regex>: with Ninja, libraries and programs whose path in the build folder
# matches are not built (CI stages that do not run those tests).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-$here/build}"
[ $# -gt 0 ] && shift
if [ -n "${KYPER_KOKKOS_PREFIX:-}" ]; then
  prefix="$KYPER_KOKKOS_PREFIX"
  [ -d "$prefix" ] || { echo "[build] KYPER_KOKKOS_PREFIX=$prefix is not a folder" >&2; exit 1; }
else
  prefix="$(bash "$here/scripts/setup.sh" | tail -n 1)"
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ -f "$build_dir/CMakeCache.txt" ] && ! grep -q "Kokkos_DIR:PATH=$prefix" "$build_dir/CMakeCache.txt"; then
  echo "[build] $build_dir was configured against another Kokkos: reconfiguring from scratch" >&2
  rm -rf "$build_dir"
fi
cmake -S "$here" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DKokkos_ROOT="$prefix" -DKokkosKernels_ROOT="$prefix" -DKyper_ENABLE_TESTS=ON -DKyper_ENABLE_EXAMPLES=ON -DKyper_ENABLE_BENCHMARKS=ON "$@" >&2
targets=()
if [ -n "${KYPER_BUILD_SKIP:-}" ] && [ -f "$build_dir/build.ninja" ]; then
  mapfile -t targets < <(ninja -C "$build_dir" -t targets all |
    sed -n 's/^\([^:]*\): CXX_\(EXECUTABLE\|STATIC_LIBRARY\|SHARED_LIBRARY\)_LINKER_.*/\1/p' |
    grep -vE "$KYPER_BUILD_SKIP")
  echo "[build] ${#targets[@]} libraries and programs (skipping those matching $KYPER_BUILD_SKIP)" >&2
fi
cmake --build "$build_dir" -j "${KYPER_BUILD_JOBS:-$(nproc)}" ${targets[@]:+--target "${targets[@]}"} >&2
echo "$build_dir"
