# Makes a host-only call in device code a compile error in CUDA builds: nvcc only warns when a
# KOKKOS_LAMBDA / KOKKOS_FUNCTION (__host__ __device__) calls a __host__ function, and that code
# then fails or crashes only on a GPU. Include after find_package(Kokkos); a no-op without CUDA.
option(Kyper_ENABLE_CUDA_CHECKS
  "CUDA builds: treat a __host__ function called from __host__ __device__ code as an error" ON)

if(Kokkos_ENABLE_CUDA AND Kyper_ENABLE_CUDA_CHECKS)
  # Kokkos' own compiler detection: CMake calls nvcc_wrapper "GNU" (the host compiler's id).
  if(Kokkos_CXX_COMPILER_ID STREQUAL "NVIDIA")
    # nvcc's own "-Werror cross-execution-space-call" does not survive nvcc_wrapper (it hands
    # options it does not know to the host compiler), so pass the two cudafe++ diagnostics
    # that nvcc 11.8 turns it into (nvcc --dryrun shows them); nvcc_wrapper forwards -Xcudafe.
    # Directory-scoped: every target defined after this include, none exported.
    add_compile_options(
      "SHELL:-Xcudafe --diag_error=h_hd_illegal_call"
      "SHELL:-Xcudafe --diag_error=h_hd_illegal_call_generic")
    # Kyper never uses Eigen in device code (search/ and uq/ are host-only), but under nvcc
    # Eigen marks its functions __host__ __device__, and some of them (LLT solves) call host
    # functions: with the errors above, host-only code using Eigen would fail to compile.
    # EIGEN_NO_CUDA is Eigen's switch for "compiled by nvcc, not for the device".
    add_compile_definitions(EIGEN_NO_CUDA)
    message(STATUS "Kyper: host-only calls in device code are errors (Kyper_ENABLE_CUDA_CHECKS)")
  endif()
endif()
