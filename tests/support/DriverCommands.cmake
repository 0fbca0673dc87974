# Shared by the ctest drivers that configure, build and run downstream projects (cmake -P).
# kyper_require_defines(script var...) fails unless every -Dvar=... was given;
# kyper_run(command...) runs a command, echoes its output, and fails on a non-zero exit.
# (kyper_run forwards ARGN: pass no list-valued arguments, they would be split.)
function(kyper_require_defines script)
  foreach(var ${ARGN})
    if(NOT DEFINED ${var})
      message(FATAL_ERROR "${script} needs -D${var}=...")
    endif()
  endforeach()
endfunction()

function(kyper_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}")
  endif()
endfunction()
