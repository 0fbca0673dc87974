#!/usr/bin/env bash
# Sets up everything from nothing, builds, and runs the whole test suite with ctest
# (OpenMP backend, 2 threads per test; MPI tests under mpiexec with 1, 2 and 4 ranks).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$(bash "$here/scripts/build.sh" "${1:-$here/build}")"
cd "$build_dir"
ctest --output-on-failure -j "${KYPER_TEST_JOBS:-2}" --timeout 900
