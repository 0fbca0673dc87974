# Finds Kyper's dependencies. A host project that already has Kokkos (add_subdirectory or
# its own find_package) keeps its own targets; otherwise any prefix on CMAKE_PREFIX_PATH or
# Kokkos_ROOT works (scripts/setup.sh's cache, spack, a module).
#
# Supported: Kokkos 3.4 <= version < 5 with a Kokkos-Kernels of the same major version. The C++
# standard is the one the found Kokkos needs (its Kokkos::kokkos target's cxx_std_NN), never
# below C++17: every Kyper target, the Kokkos-free ones too, is compiled with it.
set(Kyper_KOKKOS_MIN_VERSION 3.4)
set(Kyper_KOKKOS_MAX_VERSION 5)  # exclusive
if(NOT TARGET Kokkos::kokkos)
  # No version in the call: Kokkos 3.x's version file accepts only 3.x and Kokkos 4's any newer
  # version, so the range is checked below, with a message that names what was found.
  find_package(Kokkos CONFIG QUIET)
  if(NOT Kokkos_FOUND)
    message(FATAL_ERROR
      "Kyper needs Kokkos >= ${Kyper_KOKKOS_MIN_VERSION} and < ${Kyper_KOKKOS_MAX_VERSION} and did "
      "not find it. Run scripts/setup.sh (it builds Kokkos into ~/.cache/kyper and prints the "
      "prefix), then pass -DKokkos_ROOT=<prefix> or add the prefix to CMAKE_PREFIX_PATH. With "
      "spack: spack install kyper.")
  endif()
endif()
if(DEFINED Kokkos_VERSION AND NOT Kokkos_VERSION STREQUAL "")
  if(Kokkos_VERSION VERSION_LESS Kyper_KOKKOS_MIN_VERSION OR
     NOT Kokkos_VERSION VERSION_LESS Kyper_KOKKOS_MAX_VERSION)
    message(FATAL_ERROR
      "Kyper supports Kokkos >= ${Kyper_KOKKOS_MIN_VERSION} and < ${Kyper_KOKKOS_MAX_VERSION} "
      "(3.4 to 4.x); found Kokkos ${Kokkos_VERSION} (Kokkos_DIR: ${Kokkos_DIR}). Point "
      "Kokkos_ROOT (or CMAKE_PREFIX_PATH) at a "
      "supported Kokkos: scripts/setup.sh builds 3.4.01, scripts/setup.sh --kokkos4 builds 4.6.01.")
  endif()
else()
  message(STATUS "Kyper: the host project's Kokkos did not set Kokkos_VERSION; its version is not checked")
endif()

if(NOT TARGET Kokkos::kokkoskernels)
  find_package(KokkosKernels CONFIG QUIET)
  if(NOT KokkosKernels_FOUND)
    message(FATAL_ERROR
      "Kyper needs Kokkos-Kernels (same prefix as Kokkos from scripts/setup.sh, or spack's "
      "kokkos-kernels). Pass -DKokkosKernels_ROOT=<prefix>.")
  endif()
endif()
# Kokkos-Kernels X.Y is built for, and only compiles with, Kokkos X.*.
if(Kokkos_VERSION AND KokkosKernels_VERSION)
  string(REGEX MATCH "^[0-9]+" _kyper_kokkos_major "${Kokkos_VERSION}")
  string(REGEX MATCH "^[0-9]+" _kyper_kernels_major "${KokkosKernels_VERSION}")
  if(NOT _kyper_kokkos_major STREQUAL _kyper_kernels_major)
    message(FATAL_ERROR
      "Kokkos ${Kokkos_VERSION} (${Kokkos_DIR}) and Kokkos-Kernels ${KokkosKernels_VERSION} "
      "(${KokkosKernels_DIR}) differ in major version: build Kokkos-Kernels against this Kokkos "
      "and pass both prefixes (-DKokkos_ROOT, -DKokkosKernels_ROOT).")
  endif()
endif()

# The C++ standard Kokkos needs: the highest cxx_std_NN among the compile features of
# Kokkos::kokkos and the targets it links (kokkoscore carries it in Kokkos 4).
function(_kyper_kokkos_cxx_standard target out)
  set(best 0)
  set(queue ${target})
  set(seen "")
  while(queue)
    list(POP_FRONT queue t)
    if(NOT TARGET "${t}" OR t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${t}")
    get_target_property(aliased "${t}" ALIASED_TARGET)
    if(aliased)
      list(APPEND queue "${aliased}")
      continue()
    endif()
    get_target_property(features "${t}" INTERFACE_COMPILE_FEATURES)
    foreach(f IN LISTS features)
      if(f MATCHES "^cxx_std_([0-9]+)$" AND CMAKE_MATCH_1 GREATER best)
        set(best ${CMAKE_MATCH_1})
      endif()
    endforeach()
    get_target_property(links "${t}" INTERFACE_LINK_LIBRARIES)
    foreach(l IN LISTS links)
      if(TARGET "${l}")
        list(APPEND queue "${l}")
      endif()
    endforeach()
  endwhile()
  set(${out} ${best} PARENT_SCOPE)
endfunction()
_kyper_kokkos_cxx_standard(Kokkos::kokkos Kyper_KOKKOS_CXX_STANDARD)
if(Kyper_KOKKOS_CXX_STANDARD LESS 17)
  set(Kyper_KOKKOS_CXX_STANDARD 17)  # Kyper's own minimum (Kokkos 3.4 installs may say 14)
endif()
if(DEFINED CMAKE_CXX_STANDARD AND CMAKE_CXX_STANDARD GREATER_EQUAL Kyper_KOKKOS_CXX_STANDARD)
  # A newer standard than Kokkos needs, asked for by the user or a host project: kept.
elseif(DEFINED CMAKE_CXX_STANDARD)
  message(WARNING
    "CMAKE_CXX_STANDARD=${CMAKE_CXX_STANDARD} is below C++${Kyper_KOKKOS_CXX_STANDARD}, which "
    "Kokkos ${Kokkos_VERSION} needs: Kyper uses C++${Kyper_KOKKOS_CXX_STANDARD}.")
  set(CMAKE_CXX_STANDARD ${Kyper_KOKKOS_CXX_STANDARD})
else()
  set(CMAKE_CXX_STANDARD ${Kyper_KOKKOS_CXX_STANDARD})
endif()
set(CMAKE_CXX_STANDARD_REQUIRED ON)
message(STATUS "Kyper: Kokkos ${Kokkos_VERSION}, Kokkos-Kernels ${KokkosKernels_VERSION}, C++${CMAKE_CXX_STANDARD}")

find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(cereal REQUIRED CONFIG)
if(Kyper_ENABLE_MPI)
  find_package(MPI REQUIRED COMPONENTS CXX)
endif()
find_package(Threads REQUIRED)
