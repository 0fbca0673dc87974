#!/usr/bin/env bash
# Fills .gpu-bundle/ (ignored through .git/info/exclude) with what scripts/gpu_check.sh needs on the
# lent GPU machine, which has nvcc, CMake, ninja and Python but no network, Eigen, Cereal,
# GoogleTest, Open MPI or OpenBLAS:
#   kokkos-4.6.01.tar.gz, kokkos-kernels-4.6.02.tar.gz   the vendored release tarballs (checksums checked)
#   deps.tar.gz   a relocatable prefix: Eigen 3 and Cereal headers with their CMake package files,
#                 RapidJSON headers (Debian's Cereal includes <rapidjson/...>), GoogleTest's source
#   MANIFEST      versions and sha256 of the above
# Run here (after scripts/setup.sh, which installs the Debian packages), then call the device tool
# with carry [".gpu-bundle"] and the command "bash scripts/gpu_check.sh".
#
#   scripts/gpu_bundle.sh [bundle-dir]       (default: <repository>/.gpu-bundle)
# KYPER_VENDOR_DIR: where the Kokkos tarballs are (default <repository>/../shared/vendor).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="${1:-$here/.gpu-bundle}"
vendor_dir="${KYPER_VENDOR_DIR:-$here/../shared/vendor}"
limit_mib=60
log() { echo "[gpu_bundle] $*" >&2; }

declare -A sha256=(
  [kokkos-4.6.01.tar.gz]=b9d70e4653b87a06dbb48d63291bf248058c7c7db4bd91979676ad5609bb1a3a
  [kokkos-kernels-4.6.02.tar.gz]=a953f445660ed5aaab10e18fc4a90c4c178291e9d9d97d20abd4e6027f1193ec
)

# The bundle must not travel as untracked files by accident: ignore it locally.
if [ "$bundle" = "$here/.gpu-bundle" ]; then
  exclude="$(git -C "$here" rev-parse --git-path info/exclude)"
  case "$exclude" in /*) ;; *) exclude="$here/$exclude" ;; esac
  mkdir -p "$(dirname "$exclude")"
  grep -qxF '/.gpu-bundle/' "$exclude" 2>/dev/null || echo '/.gpu-bundle/' >>"$exclude"
fi

for path in /usr/include/eigen3/Eigen /usr/share/eigen3/cmake/Eigen3Config.cmake /usr/include/cereal/cereal.hpp \
            /usr/lib/x86_64-linux-gnu/cmake/cereal/cerealConfig.cmake /usr/include/rapidjson/document.h \
            /usr/src/googletest/CMakeLists.txt; do
  [ -e "$path" ] || { log "$path missing: run scripts/setup.sh (libeigen3-dev, libcereal-dev, rapidjson-dev, libgtest-dev)"; exit 1; }
done

rm -rf "$bundle"
mkdir -p "$bundle"
for name in "${!sha256[@]}"; do
  src="$vendor_dir/$name"
  [ -f "$src" ] || { log "$src not found (set KYPER_VENDOR_DIR)"; exit 1; }
  [ "$(sha256sum "$src" | cut -d' ' -f1)" = "${sha256[$name]}" ] || { log "$src: wrong sha256"; exit 1; }
  cp "$src" "$bundle/$name"
done

# A prefix with the same relative layout as Debian's, so the packages' CMake files (which compute
# their prefix from their own location) work wherever it is unpacked.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
p="$stage/deps"
mkdir -p "$p/include" "$p/share/eigen3" "$p/lib/x86_64-linux-gnu/cmake" "$p/src"
cp -a /usr/include/eigen3 "$p/include/"
cp -a /usr/share/eigen3/cmake "$p/share/eigen3/"
cp -a /usr/include/cereal "$p/include/"
cp -a /usr/lib/x86_64-linux-gnu/cmake/cereal "$p/lib/x86_64-linux-gnu/cmake/"
cp -a /usr/include/rapidjson "$p/include/"
cp -a /usr/src/googletest "$p/src/"
versions="$(dpkg-query -W -f='${Package} ${Version}\n' libeigen3-dev libcereal-dev rapidjson-dev libgtest-dev 2>/dev/null || true)"
echo "$versions" >"$p/VERSIONS"
tar -C "$stage" -czf "$bundle/deps.tar.gz" deps

{
  echo "# made by scripts/gpu_bundle.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "$versions"
  (cd "$bundle" && sha256sum kokkos-4.6.01.tar.gz kokkos-kernels-4.6.02.tar.gz deps.tar.gz)
} >"$bundle/MANIFEST"

bytes="$(du -sb "$bundle" | cut -f1)"
mib=$(( (bytes + 1048575) / 1048576 ))
log "$bundle: $mib MiB ($bytes bytes)"
ls -l "$bundle" >&2
if [ "$mib" -ge "$limit_mib" ]; then
  log "over the $limit_mib MiB budget (the device tool carries 64 MiB with the working tree)"
  exit 1
fi
echo "$bundle"
