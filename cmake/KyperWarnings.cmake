# -Wall -Wextra on Kyper's own code when Kyper is the top-level project (a host code that adds Kyper
# with add_subdirectory keeps its own flags; nothing here is exported). Host compilers only: under
# nvcc_wrapper the host compiler also sees the code nvcc generates, whose warnings are not Kyper's.
# Directory-scoped, so include it before the layers are added. CI's Kokkos 4 stage builds with
# Kyper_WARNINGS_AS_ERRORS=ON (scripts/kokkos4_stage.sh through .ci/run).
option(Kyper_ENABLE_WARNINGS "Compile Kyper's own code with -Wall -Wextra" ${PROJECT_IS_TOP_LEVEL})
option(Kyper_WARNINGS_AS_ERRORS "With Kyper_ENABLE_WARNINGS: make those warnings errors" OFF)

if(Kyper_ENABLE_WARNINGS AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang" AND
   NOT Kokkos_CXX_COMPILER_ID STREQUAL "NVIDIA")
  add_compile_options(-Wall -Wextra)
  # GCC 12 reports its own AVX-512 intrinsics, inlined through Eigen's packet math, as "may be used
  # uninitialized" (hundreds of reports in avx512fintrin.h, none in Kyper's code; newer GCC untried).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  if(Kyper_WARNINGS_AS_ERRORS)
    add_compile_options(-Werror)
  endif()
endif()
