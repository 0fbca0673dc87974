# kyper_add_layer(<target> EXPORT_NAME <name> SOURCES <files...> [INCLUDE_DIRS <extra build dirs...>] USES <targets...>)
# One layer of the library: a library whose include path is its own folder (plus generated
# headers), exported as Kyper::<name>, linking exactly the layers and packages it may use.
function(kyper_add_layer target)
  cmake_parse_arguments(arg "" "EXPORT_NAME" "SOURCES;INCLUDE_DIRS;USES" ${ARGN})
  add_library(${target} ${arg_SOURCES})
  add_library(Kyper::${arg_EXPORT_NAME} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${arg_EXPORT_NAME} POSITION_INDEPENDENT_CODE ON)
  target_compile_features(${target} PUBLIC cxx_std_17)
  set(build_dirs ${CMAKE_CURRENT_SOURCE_DIR} ${arg_INCLUDE_DIRS})
  target_include_directories(${target} PUBLIC
    "$<BUILD_INTERFACE:${build_dirs}>"
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${target} PUBLIC ${arg_USES})
endfunction()
