# Installs headers and exports Kyper::kyper (and its parts) with a KyperConfig.cmake that finds
# every dependency itself, so a consumer writes only find_package(Kyper REQUIRED).
set(Kyper_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/Kyper")

install(TARGETS kyper kyper_uq kyper_core kyper_search kyper_kernels kyper_base
  EXPORT KyperTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Only the kyper/ folders: internal headers sit beside their sources and are not installed.
foreach(header_root base kernels src/core src/orchestration search uq)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${header_root}/kyper
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/generated/core/kyper/config.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kyper)

install(EXPORT KyperTargets NAMESPACE Kyper:: DESTINATION ${Kyper_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/KyperConfig.cmake.in
  ${PROJECT_BINARY_DIR}/KyperConfig.cmake INSTALL_DESTINATION ${Kyper_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/KyperConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/KyperConfig.cmake ${PROJECT_BINARY_DIR}/KyperConfigVersion.cmake
  DESTINATION ${Kyper_INSTALL_CMAKEDIR})
