# ctest driver: installs the build tree into a scratch prefix, then configures, builds and runs a
# downstream project against it with find_package(Kyper).
include(${CMAKE_CURRENT_LIST_DIR}/../support/DriverCommands.cmake)
kyper_require_defines(run_consumer.cmake BUILD_DIR WORK_DIR SOURCE_DIR PREFIX_PATH)
file(REMOVE_RECURSE ${WORK_DIR})
kyper_run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/install)
kyper_run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/install -DKokkos_ROOT=${PREFIX_PATH} -DKokkosKernels_ROOT=${PREFIX_PATH})
kyper_run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
kyper_run(${WORK_DIR}/build/consumer)
