#!/usr/bin/env bash
# Concretizes Kyper's spack recipe (spack/spack_repo/kyper) with the offline Spack 1.1 bundle and
# checks what the solver picks, one PASS/FAIL line per spec; exits 1 if any spec fails.
#
#   bash scripts/spack_check.sh            # the default specs below
#   bash scripts/spack_check.sh 'kyper +cuda cuda_arch=86'   # other specs: only the generic checks
#
# Environment:
#   KYPER_SPACK_BUNDLE  the offline bundle (default: <checkout>/../shared/tools/spack)
#   KYPER_SPACK_DEST    where it is set up, reused between runs (default: ~/.cache/kyper/spack)
#   KYPER_SPACK_JOBS    specs concretized at once (default 1; each solve uses one core)
#   KYPER_SPACK_LOG     file for the concretized trees (default: $KYPER_SPACK_DEST/spack_check.log)
#
# The repository is added for this run only (a temporary configuration scope), so the cached
# Spack's own configuration is never changed and any checkout can be checked against it.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
bundle=${KYPER_SPACK_BUNDLE:-$repo/../shared/tools/spack}
dest=${KYPER_SPACK_DEST:-${XDG_CACHE_HOME:-$HOME/.cache}/kyper/spack}
jobs=${KYPER_SPACK_JOBS:-1}
log=${KYPER_SPACK_LOG:-$dest/spack_check.log}
spack_repo=$repo/spack/spack_repo/kyper

if [ $# -eq 0 ]; then
    set -- 'kyper' \
        'kyper +cuda cuda_arch=80' \
        'kyper +cuda cuda_arch=90' \
        'kyper +rocm amdgpu_target=gfx90a' \
        'kyper ^kokkos@4.6.01'
fi

t0=$SECONDS
[ -f "$spack_repo/repo.yaml" ] || { echo "spack_check: no $spack_repo/repo.yaml" >&2; exit 2; }
if [ ! -f "$dest/env.sh" ] || [ ! -f "$dest/config/.compilers-found" ]; then
    [ -x "$bundle/setup-spack.sh" ] || {
        echo "spack_check: no offline Spack bundle at $bundle (set KYPER_SPACK_BUNDLE)" >&2
        exit 2
    }
    echo "spack_check: setting up Spack in $dest (once)"
    "$bundle/setup-spack.sh" "$dest" >/dev/null || { echo "spack_check: setup failed" >&2; exit 2; }
fi
# shellcheck disable=SC1091
. "$dest/env.sh"
echo "spack_check: $(spack --version) in $dest ($((SECONDS - t0)) s)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'repos:\n  kyper: %s\n' "$spack_repo" > "$work/repos.yaml"

cat > "$work/check.py" <<'PYEOF'
# Runs inside `spack python`: concretize each spec on its own, then check the choices.
import multiprocessing
import sys
import time
import traceback

import spack.compilers.config
import spack.concretize
import spack.repo
from spack.spec import Spec

LOG, JOBS, SPECS = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

# ROCm (hip) releases each Kokkos supports, as Kyper's recipe documents them: Kokkos 4.3-4.x
# with ROCm 5.2-6.x (Kokkos >= 5.0.1 for ROCm 7, which Kyper does not accept).
def kokkos_supports_hip(kokkos, hip):
    return kokkos.satisfies("@4.3:4") and hip.satisfies("@5.2:6")


def cxx(s):
    """name@version of the C++ compiler of node s."""
    c = s.dependencies(virtuals=["cxx"])
    return f"{c[0].name}@{c[0].version}" if c else "?"


def check(abstract, s):
    """Returns (problems, summary) for the concrete spec s of the abstract spec string."""
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(what)

    a = Spec(abstract)
    kokkos, kk = s["kokkos"], s["kokkos-kernels"]
    need(kokkos.satisfies("@3.7:4"), f"kokkos@{kokkos.version} is outside 3.7:4")
    need(kk.version == kokkos.version, f"kokkos-kernels@{kk.version} != kokkos@{kokkos.version}")
    need(s["eigen"].satisfies("@3.3:3"), f"eigen@{s['eigen'].version}: CMake wants 3.x")
    for dep in a.traverse(root=False):  # every ^constraint the spec names
        need(dep.name in s and s[dep.name].satisfies(dep), f"{dep.name} does not satisfy {dep}")
    if s.satisfies("+cuda"):
        arch = s.variants["cuda_arch"].value
        need(s.satisfies("%cxx=gcc"), "kyper is not built by gcc")
        need(kokkos.satisfies(f"+cuda+wrapper cuda_arch={arch}"),
             f"kokkos is not +cuda+wrapper cuda_arch={arch}")
        need(kokkos.satisfies("%cxx=gcc"), "kokkos is not built by gcc")
        need(kk.satisfies(f"+cuda cuda_arch={arch}"), f"kokkos-kernels is not +cuda cuda_arch={arch}")
        need(kk.satisfies("%cxx=gcc"), "kokkos-kernels is not built by gcc")
        need(s["kokkos-nvcc-wrapper"].satisfies("%cxx=gcc"), "nvcc_wrapper's compiler is not gcc")
        need(not (s["cuda"].satisfies("@13:") and kokkos.satisfies("@:4.7.01")),
             f"cuda@{s['cuda'].version} with kokkos@{kokkos.version}")
        summary = (f"%{cxx(s)} kokkos@{kokkos.version}+wrapper cuda_arch={arch} "
                   f"kokkos-kernels@{kk.version} cuda@{s['cuda'].version}")
    elif s.satisfies("+rocm"):
        target = s.variants["amdgpu_target"].value
        target = target[0] if isinstance(target, tuple) else target
        need(kokkos.satisfies(f"+rocm amdgpu_target={target}"),
             f"kokkos is not +rocm amdgpu_target={target}")
        need(kokkos_supports_hip(kokkos, s["hip"]),
             f"kokkos@{kokkos.version} does not support hip@{s['hip'].version}")
        summary = (f"kokkos@{kokkos.version}+rocm amdgpu_target={target} hip@{s['hip'].version} "
                   f"kokkos-kernels@{kk.version}")
    else:
        need(kokkos.satisfies("~cuda~rocm"), "a CPU spec got a GPU Kokkos")
        if s.satisfies("+openmp"):
            need(kokkos.satisfies("+openmp") and kk.satisfies("+openmp"), "OpenMP backend missing")
        summary = f"kokkos@{kokkos.version} kokkos-kernels@{kk.version} %{cxx(s)}"
    return [p for p in problems if p], summary


def run(i):
    abstract = SPECS[i]
    start = time.time()
    try:
        s = spack.concretize.concretize_one(Spec(abstract))
    except Exception as e:  # an unsatisfiable spec: the solver's first reason
        lines = [line.strip() for line in str(e).strip().splitlines()]
        reason = next((line[3:] for line in lines if line.startswith("1. ")), lines[0])
        return i, False, f"does not concretize: {reason}", str(e), time.time() - start
    try:
        problems, summary = check(abstract, s)
    except Exception:
        return i, False, "check crashed", traceback.format_exc() + s.tree(), time.time() - start
    text = s.tree(hashes=False)
    if problems:
        return i, False, "; ".join(problems), text, time.time() - start
    return i, True, summary, text, time.time() - start


# What the solver setup reads, built once before forking (as Spack's own parallel solves do).
_ = spack.repo.PATH.provider_index
_ = spack.compilers.config.all_compilers()

results = []
if JOBS > 1 and len(SPECS) > 1:
    import __main__
    __main__.run = run  # the fork-started pool finds the task function by name
    with multiprocessing.get_context("fork").Pool(min(JOBS, len(SPECS)), maxtasksperchild=1) as pool:
        for r in pool.imap_unordered(run, range(len(SPECS))):
            print(f"  {'PASS' if r[1] else 'FAIL'}  {r[4]:5.0f} s  {SPECS[r[0]]}: {r[2]}", flush=True)
            results.append(r)
else:
    for i in range(len(SPECS)):
        r = run(i)
        print(f"  {'PASS' if r[1] else 'FAIL'}  {r[4]:5.0f} s  {SPECS[r[0]]}: {r[2]}", flush=True)
        results.append(r)

with open(LOG, "w") as f:
    for i, ok, msg, text, secs in sorted(results):
        f.write(f"=== {'PASS' if ok else 'FAIL'} {SPECS[i]} ({secs:.0f} s): {msg}\n{text}\n")
failed = sum(1 for r in results if not r[1])
sys.exit(1 if failed else 0)
PYEOF

# (no `set -e`: the summary and the exit status come from check.py)
echo "spack_check: concretizing ${#} specs, ${jobs} at a time"
t1=$SECONDS
# Offline (or before the v0.1.0 tag exists) Spack cannot look up the commit of kyper's git
# version and warns once per spec; that is expected here and not shown.
spack -C "$work" python "$work/check.py" "$log" "$jobs" "$@" 2>&1 |
    grep -v --line-buffered 'Unable to resolve the git commit for kyper'
rc=${PIPESTATUS[0]}
echo "spack_check: concretized in $((SECONDS - t1)) s, total $((SECONDS - t0)) s; trees in $log"
if [ $rc -eq 0 ]; then
    echo "spack_check: all ${#} specs PASS"
else
    echo "spack_check: FAILED (exit $rc)"
    rc=1
fi
exit $rc
