# Spack recipe for Kyper (repository namespace "kyper"; add it with `spack repo add spack/`).
# Needs Spack >= 0.23 (the "cxx" language dependency); works with the Spack 1.x package layout.
# The CMake options passed here are the project's own (Kyper_ENABLE_*); ctest's
# spack_cmake_options_exist checks that both lists stay in step.
import os

from spack.package import *

try:
    # Spack >= 1.0 moved the build systems into the builtin package repository.
    from spack_repo.builtin.build_systems.cmake import CMakePackage
    from spack_repo.builtin.build_systems.cuda import CudaPackage
    from spack_repo.builtin.build_systems.rocm import ROCmPackage
except ImportError:
    pass  # Spack 0.x: `from spack.package import *` provides them

# This recipe ships inside the Kyper checkout (<checkout>/spack/packages/kyper/package.py), so the
# checkout itself is the git source: `spack install kyper` builds its committed `main` branch.
_CHECKOUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


class Kyper(CMakePackage, CudaPackage, ROCmPackage):
    """Scalable hyperparameter search for HPC codes: neural-network training written as Kokkos
    kernels (Serial/OpenMP/CUDA/HIP), a search engine (random, CBO, evolution) and an MPI
    scheduler that runs one trial per rank."""

    git = "file://" + _CHECKOUT

    version("main", branch="main")

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

    depends_on("cxx", type="build")
    depends_on("cmake@3.16:", type="build")

    # Kokkos' CMake package is compatible within a major version only: find_package(Kokkos 3.4)
    # rejects Kokkos 4, so 3.4 <= version < 4. Kokkos-Kernels pins its Kokkos to the same release.
    depends_on("kokkos@3.4:3")
    depends_on("kokkos-kernels@3.4:3")
    depends_on("kokkos+openmp", when="+openmp")
    depends_on("kokkos-kernels+openmp", when="+openmp")

    # Kokkos builds for exactly one GPU architecture: the one Kyper is asked for.
    conflicts("+cuda", when="cuda_arch=none", msg="+cuda needs cuda_arch=<arch>, e.g. cuda_arch=80")
    conflicts("+cuda", when="+rocm", msg="Kokkos builds one device backend: CUDA or ROCm")
    for _arch in CudaPackage.cuda_arch_values:
        depends_on(f"kokkos+cuda+cuda_lambda cuda_arch={_arch}", when=f"+cuda cuda_arch={_arch}")
        depends_on(f"kokkos-kernels+cuda cuda_arch={_arch}", when=f"+cuda cuda_arch={_arch}")
    # Kokkos needs nvcc_wrapper (kokkos+wrapper) unless it is built by clang.
    depends_on("kokkos+wrapper", when="+cuda %gcc")

    # Spack's kokkos-kernels has no rocm variant: it takes HIP from the (one) kokkos in the DAG.
    conflicts("+rocm", when="amdgpu_target=none", msg="+rocm needs amdgpu_target=<gfx...>")
    for _target in ROCmPackage.amdgpu_targets:
        depends_on(f"kokkos+rocm amdgpu_target={_target}", when=f"+rocm amdgpu_target={_target}")
    depends_on("hip", when="+rocm")

    depends_on("mpi", when="+mpi")
    depends_on("eigen@3.3:")
    depends_on("cereal@1.3.1:")  # the first release exporting the cereal::cereal target
    # The suite links GTest::gmock; `spack install --test=root` builds it as well.
    depends_on("googletest+gmock", type="test")
    depends_on("googletest+gmock", when="+tests")

    def _cxx_compiler(self):
        """The compiler Kokkos was built with; Kokkos' CMake targets assume it."""
        if self.spec.satisfies("+rocm"):
            return self.spec["hip"].hipcc
        kokkos = self.spec["kokkos"]
        # Spack >= 1.0: a property of the kokkos package; older Spack sets it on the spec
        # (Kokkos.setup_dependent_package). Both give nvcc_wrapper for kokkos+wrapper.
        cxx = getattr(kokkos.package, "kokkos_cxx", None) or getattr(kokkos, "kokkos_cxx", None)
        return cxx or join_path(kokkos.prefix.bin, "nvcc_wrapper")

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
        ]
        if spec.satisfies("+mpi"):
            args.append(self.define("MPI_CXX_COMPILER", spec["mpi"].mpicxx))
        if spec.satisfies("+cuda") or spec.satisfies("+rocm"):
            args.append(self.define("CMAKE_CXX_COMPILER", self._cxx_compiler()))
        return [arg for arg in args if arg]
