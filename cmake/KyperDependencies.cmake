# Finds Kyper's dependencies. A host project that already has Kokkos (add_subdirectory or
# its own find_package) keeps its own targets; otherwise any prefix on CMAKE_PREFIX_PATH or
# Kokkos_ROOT works (scripts/setup.sh's cache, spack, a module).
if(NOT TARGET Kokkos::kokkos)
  find_package(Kokkos 3.4 CONFIG QUIET)
  if(NOT Kokkos_FOUND)
    message(FATAL_ERROR
      "Kyper needs Kokkos >= 3.4 and did not find it. Run scripts/setup.sh (it builds Kokkos "
      "into ~/.cache/kyper and prints the prefix), then pass -DKokkos_ROOT=<prefix> or add the "
      "prefix to CMAKE_PREFIX_PATH. With spack: spack install kyper.")
  endif()
endif()
if(NOT TARGET Kokkos::kokkoskernels)
  find_package(KokkosKernels CONFIG QUIET)
  if(NOT KokkosKernels_FOUND)
    message(FATAL_ERROR
      "Kyper needs Kokkos-Kernels (same prefix as Kokkos from scripts/setup.sh, or spack's "
      "kokkos-kernels). Pass -DKokkosKernels_ROOT=<prefix>.")
  endif()
endif()
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(cereal REQUIRED CONFIG)
if(Kyper_ENABLE_MPI)
  find_package(MPI REQUIRED COMPONENTS CXX)
endif()
find_package(Threads REQUIRED)
