# ctest driver: configures, builds and runs tests/packaging/subdir_project, which finds Kokkos and
# Kokkos-Kernels itself and then add_subdirectory()s the Kyper source tree.
include(${CMAKE_CURRENT_LIST_DIR}/../support/DriverCommands.cmake)
kyper_require_defines(run_subdir.cmake KYPER_SOURCE_DIR WORK_DIR SOURCE_DIR KOKKOS_PREFIX ENABLE_MPI)
file(REMOVE_RECURSE ${WORK_DIR})
set(generator_args "")
if(GENERATOR)
  set(generator_args -G ${GENERATOR})
endif()
# -O0: this test checks how Kyper is embedded, not its speed, and it compiles the whole library
# again (about half the time of -O3).
kyper_run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR} ${generator_args} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0
    -DKYPER_SOURCE_DIR=${KYPER_SOURCE_DIR} -DKokkos_ROOT=${KOKKOS_PREFIX} -DKokkosKernels_ROOT=${KOKKOS_PREFIX}
    -DKyper_ENABLE_MPI=${ENABLE_MPI})
kyper_run(${CMAKE_COMMAND} --build ${WORK_DIR} --target subdir_consumer)
kyper_run(${WORK_DIR}/subdir_consumer)
