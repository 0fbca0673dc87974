# Spack recipe for Kyper: Spack >= 1.0, package API v2 (repository spack/spack_repo/kyper, namespace
# "kyper"). Add it with `spack repo add spack/spack_repo/kyper` from a Kyper checkout.
# The CMake options passed here are the project's own (Kyper_ENABLE_*); ctest's
# spack_cmake_options_exist checks that both lists stay in step. scripts/spack_check.sh
# concretizes the CPU, CUDA and ROCm specs with Spack 1.1 and checks what the solver picks.
from spack_repo.builtin.build_systems.cmake import CMakePackage
from spack_repo.builtin.build_systems.cuda import CudaPackage
from spack_repo.builtin.build_systems.rocm import ROCmPackage

from spack.package import *

# Kokkos builds for exactly one GPU architecture; these are the ones Spack's kokkos package maps
# to a Kokkos_ARCH_* option (its spack_cuda_arch_map / amdgpu_arch_map). Other values of the
# cuda_arch / amdgpu_target variants are conflicts with a message.
KOKKOS_CUDA_ARCHS = (
    "30", "32", "35", "37", "50", "52", "53", "60", "61", "70", "72", "75",
    "80", "86", "87", "89", "90", "100", "120",
)  # fmt: skip
KOKKOS_AMDGPU_TARGETS = (
    "gfx900", "gfx906", "gfx908", "gfx90a", "gfx940", "gfx942", "gfx1030", "gfx1100",
)  # fmt: skip


class Kyper(CMakePackage, CudaPackage, ROCmPackage):
    """Scalable hyperparameter search for HPC codes: neural-network training written as Kokkos
    kernels (Serial/OpenMP/CUDA/HIP), a search engine (random, CBO, evolution, AgEBO), AutoDEUQ
    ensembles and an MPI scheduler that runs one trial per rank."""

    homepage = "https://github.com/kyper-hpc/kyper"
    git = "https://github.com/kyper-hpc/kyper.git"

    # `spack install kyper@main` builds the tip of main. A release version needs its tag to exist
    # upstream (git tag v0.1.0 && git push origin v0.1.0) before `spack install kyper@0.1.0` can
    # fetch it; add `commit="<sha>"` next to the tag once it is pushed, so the fetch is verified.
    # For a local checkout use `spack develop` / `spack dev-build` (see README, "Install with spack").
    version("main", branch="main")
    version("0.1.0", tag="v0.1.0")

    variant("mpi", default=True, description="Build the MPI rank-per-trial scheduler")
    variant("openmp", default=True, description="Use Kokkos' OpenMP host backend")
    variant("tests", default=False, description="Build the GoogleTest suite (ctest)")
    variant("examples", default=False, description="Build the examples")
    variant("benchmarks", default=False, description="Build the benchmarks")
    variant(
        "cuda_checks",
        default=True,
        when="+cuda",
        description="Make a host-only call in device code a compile error",
    )
    # Single-valued (CudaPackage/ROCmPackage declare them multi-valued): Kokkos, and so Kyper,
    # is compiled for one GPU architecture.
    variant(
        "cuda_arch",
        description="CUDA architecture (one: Kokkos builds for a single GPU architecture)",
        values=("none",) + CudaPackage.cuda_arch_values,
        default="none",
        multi=False,
        sticky=True,
        when="+cuda",
    )
    variant(
        "amdgpu_target",
        description="AMD GPU architecture (one: Kokkos builds for a single GPU architecture)",
        values=("none",) + ROCmPackage.amdgpu_targets,
        default="none",
        multi=False,
        sticky=True,
        when="+rocm",
    )

    depends_on("cxx", type="build")
    depends_on("cmake@3.16:", type="build")

    # Kyper's CMake accepts Kokkos 3.4 <= version < 5; Spack's oldest Kokkos is 3.7.02.
    # Spack's kokkos-kernels@X depends on kokkos@X, so the two always come as a matching pair
    # (kyper ^kokkos@4.6.01 gets kokkos-kernels@4.6.01).
    depends_on("kokkos@3.7:4")
    depends_on("kokkos-kernels@3.7:4")
    depends_on("kokkos+openmp", when="+openmp")
    depends_on("kokkos-kernels+openmp", when="+openmp")

    conflicts("+cuda", when="+rocm", msg="Kokkos builds one device backend: +cuda or +rocm")

    # --- CUDA: gcc as host compiler behind Kokkos' nvcc_wrapper (kokkos+wrapper), everywhere. ---
    # Kyper's CUDA build is compiled with nvcc_wrapper, and its checks (Kyper_ENABLE_CUDA_CHECKS)
    # rely on it. Clang as CUDA compiler (kokkos~wrapper) is not supported: left free, the solver
    # picked clang 14 with kokkos~wrapper and CUDA 12.9, which clang 14 cannot compile.
    conflicts("+cuda", when="cuda_arch=none", msg="+cuda needs cuda_arch=<arch>, e.g. cuda_arch=80")
    with when("+cuda"):
        requires(
            "%cxx=gcc",
            msg="+cuda builds with gcc as the host compiler of Kokkos' nvcc_wrapper; "
            "add %gcc (clang as CUDA compiler is not supported)",
        )
        depends_on("kokkos+cuda+cuda_lambda+wrapper %cxx=gcc")
        depends_on("kokkos-kernels+cuda %cxx=gcc")
        # nvcc_wrapper calls the compiler its own package was built with.
        depends_on("kokkos-nvcc-wrapper %cxx=gcc")
        conflicts(
            "^kokkos~wrapper",
            msg="+cuda needs kokkos+wrapper (nvcc_wrapper around gcc); kokkos~wrapper means "
            "clang as CUDA compiler, which Kyper does not support",
        )
        # CUDA 13 changed cudaMemAdvise (and cudaGraphAddDependencies): Kokkos 4.6.01 fails to
        # compile with nvcc 13.0 (checked), and Kokkos fixed its cudaMemAdvise calls for CUDA 13
        # only in 4.7.02 and 5.0.1. Spack's newest Kokkos 4 is 4.7.01; Kyper needs Kokkos < 5.
        conflicts(
            "^cuda@13:",
            when="^kokkos@:4.7.01",
            msg="Kokkos up to 4.7.01 is not known to build with CUDA 13: use cuda@:12",
        )
    for _arch in CudaPackage.cuda_arch_values:
        if _arch in KOKKOS_CUDA_ARCHS:
            depends_on(f"kokkos cuda_arch={_arch}", when=f"+cuda cuda_arch={_arch}")
            depends_on(f"kokkos-kernels cuda_arch={_arch}", when=f"+cuda cuda_arch={_arch}")
        else:
            conflicts(
                "+cuda",
                when=f"cuda_arch={_arch}",
                msg=f"Kokkos has no architecture for cuda_arch={_arch}; "
                f"it knows {', '.join(KOKKOS_CUDA_ARCHS)}",
            )
    # Architectures newer than a Kokkos release are unknown to it.
    conflicts("^kokkos@:4.6.00", when="+cuda cuda_arch=100", msg="Blackwell needs kokkos@4.6.01:")
    conflicts("^kokkos@:4.6.00", when="+cuda cuda_arch=120", msg="Blackwell needs kokkos@4.6.01:")
    conflicts("^kokkos@:4.6", when="+cuda cuda_arch=87", msg="sm_87 needs kokkos@4.7:")

    # --- ROCm: a Kokkos that supports the HIP it is built with. ---
    # Spack's kokkos declares no ROCm version limits. Kokkos 4.x needs ROCm >= 5.2, and Spack's
    # oldest hip is 5.7, which Kokkos 3.7 predates (fixes for ROCm >= 5.6/5.7 and rocThrust
    # came in 4.2-4.3). Kokkos first handles ROCm 7 in 5.0.1 (it turns off hipMallocAsync,
    # which Kokkos 4.6-4.7 use, for ROCm 7), beyond Kyper's Kokkos < 5: so ROCm 5.2-6.x.
    conflicts("+rocm", when="amdgpu_target=none", msg="+rocm needs amdgpu_target=<gfx...>")
    # Conflicts rather than version ranges in depends_on: they steer the solver just the same,
    # and an impossible request (^hip@7, ^kokkos@3.7.02) fails with the message below.
    with when("+rocm"):
        depends_on("kokkos+rocm")
        conflicts(
            "^kokkos@:4.2",
            msg="+rocm needs kokkos@4.3: (Kokkos 3.7 predates the ROCm >= 5.7 that Spack offers)",
        )
        conflicts("^hip@:5.1", msg="Kokkos 4 needs ROCm 5.2 or later (hip@5.2:)")
        conflicts(
            "^hip@7:",
            msg="Kokkos < 5 does not support ROCm 7 (hip@7); Kyper needs Kokkos < 5: use hip@:6",
        )
    for _target in ROCmPackage.amdgpu_targets:
        if _target in KOKKOS_AMDGPU_TARGETS:
            depends_on(f"kokkos amdgpu_target={_target}", when=f"+rocm amdgpu_target={_target}")
        else:
            conflicts(
                "+rocm",
                when=f"amdgpu_target={_target}",
                msg=f"Kokkos has no architecture for amdgpu_target={_target}; "
                f"it knows {', '.join(KOKKOS_AMDGPU_TARGETS)}",
            )

    depends_on("mpi", when="+mpi")
    # Eigen 5 (Eigen's next release after 3.4, new numbering) writes a SameMajorVersion CMake
    # version file: find_package(Eigen3 3.3) rejects it, so Spack must not pick eigen@5.
    depends_on("eigen@3.3:3")
    depends_on("cereal@1.3.1:")  # the first release exporting the cereal::cereal target
    # The suite links GTest::gmock; `spack install --test=root` builds it as well.
    depends_on("googletest+gmock", type="test")
    depends_on("googletest+gmock", when="+tests")

    def _cxx_compiler(self):
        """The compiler Kokkos was built with; Kokkos' CMake targets assume it."""
        if self.spec.satisfies("+rocm"):
            return self.spec["hip"].hipcc
        # kokkos+wrapper (required with +cuda): <kokkos-nvcc-wrapper>/bin/nvcc_wrapper.
        return self["kokkos"].kokkos_cxx

    def cmake_args(self):
        spec = self.spec
        args = [
            self.define("Kokkos_ROOT", spec["kokkos"].prefix),
            self.define("KokkosKernels_ROOT", spec["kokkos-kernels"].prefix),
            self.define_from_variant("Kyper_ENABLE_MPI", "mpi"),
            self.define("Kyper_ENABLE_TESTS", spec.satisfies("+tests") or self.run_tests),
            self.define_from_variant("Kyper_ENABLE_EXAMPLES", "examples"),
            self.define_from_variant("Kyper_ENABLE_BENCHMARKS", "benchmarks"),
            # Empty (and dropped below) without +cuda, where the variant does not exist.
            self.define_from_variant("Kyper_ENABLE_CUDA_CHECKS", "cuda_checks"),
            # -Wall -Wextra serve Kyper's developers; an install with another compiler needs neither
            # their noise nor a build that fails on a warning.
            self.define("Kyper_ENABLE_WARNINGS", False),
            self.define("Kyper_WARNINGS_AS_ERRORS", False),
        ]
        if spec.satisfies("+mpi"):
            args.append(self.define("MPI_CXX_COMPILER", spec["mpi"].mpicxx))
        if spec.satisfies("+cuda") or spec.satisfies("+rocm"):
            args.append(self.define("CMAKE_CXX_COMPILER", self._cxx_compiler()))
        return [arg for arg in args if arg]
