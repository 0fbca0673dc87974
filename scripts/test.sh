#!/usr/bin/env bash
# Sets up everything from nothing, builds, and runs the whole test suite with ctest
# (OpenMP backend, 2 threads per test; MPI tests under mpiexec with 1, 2 and 4 ranks).
# Chromium comes too: the report's browser test must run here, not skip.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/setup.sh" --browser >/dev/null
export KYPER_REQUIRE_BROWSER=1
build_dir="$(bash "$here/scripts/build.sh" "${1:-$here/build}")"
cd "$build_dir"
ctest --output-on-failure -j "${KYPER_TEST_JOBS:-2}" --timeout 900
