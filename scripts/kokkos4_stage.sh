#!/usr/bin/env bash
# CI stage "Kokkos 4": Kyper against Kokkos 4.6.01 + Kokkos-Kernels 4.6.02 built with
# Kokkos_ENABLE_DEPRECATED_CODE_4=OFF (what Kokkos 5 removes is gone), OpenMP + Serial, the same
# host arch option and OpenBLAS TPL as the default 3.4.01 build. Builds that Kokkos once into
# ~/.cache/kyper (scripts/setup.sh --kokkos4, from ../shared/vendor), configures and builds Kyper
# (scripts/build.sh with KYPER_KOKKOS_PREFIX) and runs every ctest that runs Kokkos code.
#
#   scripts/kokkos4_stage.sh [build-dir [extra cmake args...]]     build-dir defaults to build-kokkos4
#
# KYPER_BUILD_JOBS (default nproc) and KYPER_TEST_JOBS (default 2) set the parallelism;
# KYPER_VENDOR_DIR and KYPER_DEPS_DIR are passed on to scripts/setup.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-$here/build-kokkos4}"
[ $# -gt 0 ] && shift
log() { echo "[kokkos4] $*" >&2; }

t0=$SECONDS
prefix="$(bash "$here/scripts/setup.sh" --kokkos4 | tail -n 1)"
log "Kokkos 4 prefix: $prefix ($((SECONDS - t0)) s for setup)"
config_h="$prefix/include/KokkosCore_config.h"
grep -q '^#define KOKKOS_VERSION 40601$' "$config_h" || { log "$config_h is not Kokkos 4.6.01"; exit 1; }
if grep -q '^#define KOKKOS_ENABLE_DEPRECATED_CODE_4$' "$config_h"; then
  log "$prefix was built with Kokkos_ENABLE_DEPRECATED_CODE_4=ON; this stage needs it OFF"
  exit 1
fi

t1=$SECONDS
# No benchmarks (none is a test), and not the programs of the tests left out below: the stage's
# time is counted.
build_dir="$(KYPER_KOKKOS_PREFIX="$prefix" KYPER_BUILD_SKIP='^(tests/(search|fuzz)|examples/(command|sst_emulator))/|/test_output_lock$|/test_sequence$' \
  bash "$here/scripts/build.sh" "$build_dir" -DKyper_ENABLE_BENCHMARKS=OFF "$@" | tail -n 1)"
log "Kyper built in $((SECONDS - t1)) s"
# The build must have used this Kokkos, not another one found on CMAKE_PREFIX_PATH.
kokkos_dir="$(sed -n 's/^Kokkos_DIR:[A-Z]*=//p' "$build_dir/CMakeCache.txt")"
case "$kokkos_dir" in
  "$prefix"/*) log "Kokkos_DIR: $kokkos_dir" ;;
  *) log "configured against Kokkos_DIR=$kokkos_dir, expected one under $prefix"; exit 1 ;;
esac

t2=$SECONDS
cd "$build_dir"
status=0
# Every test that runs Kokkos code. Left out (the first stage runs them): tests of layers without
# Kokkos (the search engine, the layering checks, the spack recipe), the fuzz replay, and the
# scheduler and command tests whose trials are plain functions or other programs, the time-series
# windowing (host code; its recurrent training runs here in cli_recurrent_nas) and the SST example
# (its recurrent kernels run here in test_recurrent and cli_recurrent_nas).
ctest --output-on-failure -j "${KYPER_TEST_JOBS:-2}" --timeout 900 \
  -E '^test_search_|^layering_|^spack_|^fuzz_replay$|^scheduler_(kill_loop|damaged_folder|output_lock|stopper|dying_rank)|^command_|^example_command_|^example_sst_|^test_sequence$|^cli_sequence$' ||
  status=$?
log "ctest finished in $((SECONDS - t2)) s with status $status (stage total $((SECONDS - t0)) s)"
exit "$status"
